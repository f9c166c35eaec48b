-- POST decisions spread over the sites named in WRK_SITES (comma-separated), one site at random each,
-- each with an Idempotency-Key of its own (WRK_KEY_PREFIX and a counter), as the banner sends them.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local sites = {}
for site in string.gmatch(os.getenv("WRK_SITES") or "entrack", "[^,]+") do
  table.insert(sites, site)
end
local prefix, sent = os.getenv("WRK_KEY_PREFIX") or "wrk-", 0
local body = '{"site": "%s", "action": "custom", "categories": {"analytics": true, "marketing": false}, ' ..
             '"policy_version": "2026-11-01", "language": "fi", "page_url": "https://www.entrack.fi/palvelut"}'

function request()
  sent = sent + 1
  local headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench",
                    ["Idempotency-Key"] = prefix .. sent }
  return wrk.format("POST", nil, headers, string.format(body, sites[math.random(#sites)]))
end
