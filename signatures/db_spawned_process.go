package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

var isDBServer = nameIn("mysqld", "mariadbd", "postgres", "postmaster", "mongod", "mongos", "redis-server", "sqlservr",
	"oracle", "tnslsnr", "clickhouse-server", "memcached", "influxd", "couchdb", "beam.smp", "etcd")

// DBSpawnedProcess (EXT-018) reports a database server starting another program: SQL injection
// turned into command execution (xp_cmdshell, COPY ... PROGRAM, UDFs, Redis module tricks).
// The server is known by the executable it runs (the tracker follows exec paths, not comm).
type DBSpawnedProcess struct {
	base
	exes commTracker
}

// NewDBSpawnedProcess returns the EXT-018 signature.
func NewDBSpawnedProcess() *DBSpawnedProcess {
	return &DBSpawnedProcess{base: newBase("EXT-018", "db_spawned_process", "Database server started a program",
		"A database server process (mysqld, postgres, mongod, redis-server ...) replaced itself with another program, or a child it forked did: command execution through the database.",
		mitre{2, "initial-access", "Exploit Public-Facing Application", "T1190"}, "sched_process_fork", "sched_process_exec", "sched_process_exit"),
		exes: newExeTracker()}
}

func (s *DBSpawnedProcess) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	previous := s.exes.observe(ev)
	if ev.EventName != "sched_process_exec" || !isDBServer(previous) {
		return nil
	}
	p, _ := stringArg(ev, "pathname")
	if isDBServer(baseName(p)) {
		return nil
	}
	s.report(event, map[string]interface{}{"database": previous, "pathname": p})
	return nil
}
