package sdk

import (
	"encoding/json"
	"fmt"
)

// StateStore is the key-value state of the extension's namespace. It
// persists across invocations; keys are non-empty UTF-8 strings.
type StateStore struct{}

// State is the namespace state.
var State StateStore

// Get returns the value of key; a missing key fails with ErrNotFound.
func (StateStore) Get(key string) ([]byte, error) {
	b, code := host().StateGet([]byte(key))
	if code < 0 {
		return nil, hostError("state.get", code, b)
	}
	return b, nil
}

// GetJSON decodes the JSON value of key into v.
func (s StateStore) GetJSON(key string, v any) error {
	b, err := s.Get(key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("forge: state.get %s: %w", key, err)
	}
	return nil
}

// Put sets key to value.
func (StateStore) Put(key string, value []byte) error {
	if code := host().StatePut([]byte(key), value); code < 0 {
		return hostError("state.put", code, nil)
	}
	return nil
}

// PutJSON sets key to v encoded as JSON.
func (s StateStore) PutJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("forge: state.put %s: %w", key, err)
	}
	return s.Put(key, b)
}

// Delete removes key; removing a missing key is not an error.
func (StateStore) Delete(key string) error {
	if code := host().StateDelete([]byte(key)); code < 0 {
		return hostError("state.delete", code, nil)
	}
	return nil
}

// List returns the keys that start with prefix, sorted by byte order. An
// empty prefix lists every key.
func (StateStore) List(prefix string) ([]string, error) {
	b, code := host().StateList([]byte(prefix))
	if code < 0 {
		return nil, hostError("state.list", code, b)
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, &Error{Op: "state.list", Code: CodeInternal, Msg: err.Error()}
	}
	return keys, nil
}
