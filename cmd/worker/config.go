package main

import (
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/streams"
)

// loadConfig is config.Load and the schedules the registry's streams
// declare (SPSYNC_ORDERS_CRON, …), which config cannot know: a schedule
// that is not a cron expression is a configuration error (exit 2) for
// every command, as any other variable's.
func loadConfig(getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Schedules.Check(streams.All(nil).ScheduleSpecs()); err != nil {
		return nil, err
	}
	return cfg, nil
}
