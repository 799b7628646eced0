// Package visits counts visits to HPA's sites without tracking anyone.
//
// Browsers send page views and named events as beacons; each is turned
// into a row holding a visitor ID that is a keyed hash of the day's random
// salt, the site, the client address and the User-Agent. Salts live in the
// database (so every API process agrees) and are deleted when their day is
// over, so no visitor can be linked across days; addresses and User-Agent
// strings never reach the disk or the logs. Bots, headless browsers and
// floods are counted, never stored.
//
// Accepted events wait in a bounded in-memory buffer that a background
// writer drains with COPY into a table partitioned by month; a full buffer
// sheds load rather than grow, a write that fails to reach the database is
// retried under the same batch ID (so it is never counted twice), rows the
// database refuses are quarantined rather than block the rest, and
// shutdown flushes. A durable sender is answered only once its events are
// written. A River job rolls raw events up into daily, monthly and hourly
// aggregates, which are what the stats queries read, and into compact
// per-visit rows, which queries filtering on another dimension, goals,
// properties and funnels read (raw events for days with newer events);
// it drops raw partitions, and visit rows, older than the retention
// period.
//
// History from other tools (GoatCounter's and Plausible's exports, a plain
// daily CSV) is imported, as a stream and all or nothing, into daily
// figures kept apart from the rollups: queries add them only when asked,
// and the public counter only what its historic baseline lacks.
package visits
