// Package logging builds the worker's *slog.Logger from the environment:
// SPSYNC_LOG_FORMAT chooses text (for people) or JSON (for log shippers),
// defaulting to text only when the output is a terminal so that every
// non-interactive deployment keeps JSON; SPSYNC_LOG_LEVEL chooses the
// level (info by default). ForRiver quiets River's routine INFO chatter
// (producer job counts, maintenance runs) to DEBUG, so that at the default
// level the log holds spsync's own start-up and notable events.
package logging
