-- GET with the Authorization header (WRK_TOKEN) and the Origin (WRK_ORIGIN) from the environment, when
-- set; the path comes from the URL.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local origin = os.getenv("WRK_ORIGIN")
if origin and origin ~= "" then
  wrk.headers["Origin"] = origin
end
