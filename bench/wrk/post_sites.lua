-- POST decisions spread over the sites named in WRK_SITES (comma-separated), one site at random each.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local sites = {}
for site in string.gmatch(os.getenv("WRK_SITES") or "entrack", "[^,]+") do
  table.insert(sites, site)
end
local headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench" }
local body = '{"site": "%s", "action": "custom", "categories": {"analytics": true, "marketing": false}, ' ..
             '"policy_version": "2026-11-01", "language": "fi", "page_url": "https://www.entrack.fi/palvelut"}'

function request()
  return wrk.format("POST", nil, headers, string.format(body, sites[math.random(#sites)]))
end
