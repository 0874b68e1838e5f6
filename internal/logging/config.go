package logging

import (
	"log/slog"

	"github.com/spsync/spsync/internal/config"
)

// Config is the logging configuration read from the environment.
type Config struct {
	Format Format
	Level  slog.Level
}

// Load reads SPSYNC_LOG_FORMAT and SPSYNC_LOG_LEVEL through getenv;
// terminal tells whether the log's writer is a terminal (IsTerminal),
// which decides the default format. A bad value is a *config.Error naming
// the variable and the values it takes, like the worker's other
// configuration errors.
func Load(getenv func(string) string, terminal bool) (Config, error) {
	f, err := ParseFormat(getenv(FormatVar), terminal)
	if err != nil {
		return Config{}, &config.Error{Var: FormatVar, Msg: err.Error()}
	}
	l, err := ParseLevel(getenv(LevelVar))
	if err != nil {
		return Config{}, &config.Error{Var: LevelVar, Msg: err.Error()}
	}
	return Config{Format: f, Level: l}, nil
}
