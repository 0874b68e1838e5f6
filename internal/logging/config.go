package logging

import "log/slog"

// Config is the logging configuration read from the environment.
type Config struct {
	Format Format
	Level  slog.Level
}

// Load reads SPSYNC_LOG_FORMAT and SPSYNC_LOG_LEVEL through getenv;
// terminal tells whether the log's writer is a terminal (IsTerminal),
// which decides the default format. A bad value is a *VarError naming
// the variable and the values it takes, worded like the worker's other
// configuration errors.
func Load(getenv func(string) string, terminal bool) (Config, error) {
	f, err := ParseFormat(getenv(FormatVar), terminal)
	if err != nil {
		return Config{}, &VarError{Var: FormatVar, Msg: err.Error()}
	}
	l, err := ParseLevel(getenv(LevelVar))
	if err != nil {
		return Config{}, &VarError{Var: LevelVar, Msg: err.Error()}
	}
	return Config{Format: f, Level: l}, nil
}

// VarError is a bad logging variable. It reads like internal/config's
// errors ("config: VAR: …") without importing that package: logging sits in
// the lowest layer (internal/devtools/packaging/layers_test.go), below
// config, because internal/schema and every other layer log through it.
type VarError struct {
	Var string
	Msg string
}

func (e *VarError) Error() string { return "config: " + e.Var + ": " + e.Msg }
