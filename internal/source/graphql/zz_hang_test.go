package graphql

import (
	"os"
	"testing"
)

func TestHangTmp(t *testing.T) {
	data, _ := os.ReadFile("/tmp/hang.graphql")
	res, err := importFile(t, "fuzz.graphql", data)
	t.Log(res, err)
}
