// Expand an iCalendar file the way Thunderbird does (ical.js, Mozilla's library):
// reads the .ics on stdin, prints {"POST NETWORK": [UTC ISO instants…]} for [start, end).
// Used by tests/test_ical.py to check that clients see exactly what `herald plan` prints.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const [start, end] = process.argv.slice(2).map((s) => new Date(s));
const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
}
const out = {};
for (const vevent of root.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  const key = `${vevent.getFirstPropertyValue("x-herald-post")} ${vevent.getFirstPropertyValue("x-herald-network")}`;
  const seen = (out[key] ??= []);
  if (!event.isRecurring()) {
    const at = event.startDate.toJSDate();
    if (at >= start && at < end) seen.push(at.toISOString());
    continue;
  }
  const it = event.iterator();
  for (let next = it.next(), n = 0; next && n < 100000; next = it.next(), n++) {
    const at = next.toJSDate();
    if (at >= end) break;
    if (at >= start) seen.push(at.toISOString());
  }
}
for (const key of Object.keys(out)) out[key].sort();
process.stdout.write(JSON.stringify(out));
