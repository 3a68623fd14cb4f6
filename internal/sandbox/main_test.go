package sandbox

import (
	"os"
	"testing"
)

var tempCacheDir string

func osMkdirTemp() (string, error) {
	if tempCacheDir == "" {
		d, err := os.MkdirTemp("", "forge-sandbox-cache-*")
		if err != nil {
			return "", err
		}
		tempCacheDir = d
	}
	return tempCacheDir, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tempCacheDir != "" {
		_ = os.RemoveAll(tempCacheDir)
	}
	os.Exit(code)
}
