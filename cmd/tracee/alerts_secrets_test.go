package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlertsSearch_bad_url_does_not_echo_the_password(t *testing.T) {
	for _, url := range []string{"http://elastic:s3cr/et@127.0.0.1:92x0", "elastic:s3cr/et@127.0.0.1:9200", "://elastic:s3cr@et@:9200"} {
		_, err := runAlerts(t, "--elasticsearch", url)
		require.Error(t, err, url)
		assert.NotContains(t, err.Error(), "s3cr", url)
		assert.NotContains(t, err.Error(), "et@", url)
	}
}

func TestAlertsSearch_password_in_the_url_is_refused(t *testing.T) {
	_, err := runAlerts(t, "--elasticsearch", "http://elastic:s3cret@127.0.0.1:9200")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.Contains(t, err.Error(), "$TRACEE_ES_PASSWORD")
}
