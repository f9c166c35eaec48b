-- POST one visitor's decision as the banner sends it; the path comes from the URL.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench"
wrk.body = '{"site": "entrack", "action": "custom", "categories": {"analytics": true, "marketing": false}, ' ..
           '"policy_version": "2026-11-01", "language": "fi", "page_url": "https://www.entrack.fi/palvelut"}'
