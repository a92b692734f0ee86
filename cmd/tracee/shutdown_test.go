package main

import (
	"context"
	"testing"
	"time"
)

func TestShutdownDeadline_fires_only_after_the_signal(t *testing.T) {
	ctx, signal := context.WithCancel(context.Background())
	deadline, stop := shutdownDeadline(ctx, time.Millisecond)
	defer stop()
	select {
	case <-deadline:
		t.Fatal("the deadline ran before any signal")
	case <-time.After(20 * time.Millisecond):
	}
	signal()
	select {
	case <-deadline:
	case <-time.After(10 * time.Second):
		t.Fatal("no deadline after the signal")
	}
}

func TestShutdownDeadline_stopped_before_the_bound_never_fires(t *testing.T) {
	ctx, signal := context.WithCancel(context.Background())
	deadline, stop := shutdownDeadline(ctx, time.Hour)
	signal()
	stop()
	stop() // idempotent
	select {
	case <-deadline:
		t.Fatal("fired after stop")
	case <-time.After(20 * time.Millisecond):
	}
}
