// Package secretslocal is a local stand-in for AWS Secrets Manager's GetSecretValue (awsJson1_1,
// X-Amz-Target: secretsmanager.GetSecretValue), enough for the real secretsmanager client that the
// functions use at cold start. Secrets are held in memory, by ARN and by name.
package secretslocal

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Store holds secrets and serves them over the Secrets Manager API. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	secrets map[string]secret // by ARN and by name
}

type secret struct {
	arn, name, value string
	created          time.Time
}

// New returns an empty store.
func New() *Store { return &Store{secrets: map[string]secret{}} }

// Put stores a secret's string value under its ARN and its name.
func (s *Store) Put(arn, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := secret{arn: arn, name: name, value: value, created: time.Now().UTC()}
	s.secrets[arn] = sec
	s.secrets[name] = sec
}

// ServeHTTP answers GetSecretValue, and any other operation as Secrets Manager answers an unknown one.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || target != "secretsmanager.GetSecretValue" {
		fail(w, http.StatusBadRequest, "UnknownOperationException", "the local Secrets Manager only answers GetSecretValue")
		return
	}
	var in struct {
		SecretId string
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil || strings.TrimSpace(in.SecretId) == "" {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	s.mu.RLock()
	sec, ok := s.secrets[in.SecretId]
	s.mu.RUnlock()
	if !ok {
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{
		"ARN": sec.arn, "Name": sec.name, "SecretString": sec.value, "VersionId": "local",
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(sec.created.UnixMilli()) / 1000,
	})
}

// fail writes an error as the awsJson1_1 protocol does.
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
