// Package config reads the worker's configuration from the environment
// (variables in DESIGN.md and the README) and validates all of it up front,
// so a bad value stops the worker with one line that names the variable and
// the fix instead of failing later in a job.
package config
