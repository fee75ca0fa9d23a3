package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"

	"refundflow/infra/local/samtemplate"
	"refundflow/infra/local/secretslocal"
	"refundflow/infra/local/stack"
)

// beforeSecrets holds the secrets that only -before's template declares (such as a secret an older
// version read at start and this one no longer has), so that its builds start as they did.
type beforeSecrets struct {
	store *secretslocal.Store
	ids   map[string]bool
}

// beforeEnvironments returns, for each function of the template in dir, the environment its build
// from dir reads: this stack's value for every variable both templates set, and the older
// template's own value for a variable only it sets. A Ref there to a Secrets Manager secret of that
// template becomes a secret in secrets with a fresh random value, as the stack generates one; any
// other variable the stack cannot give is an error naming it, rather than a build that stops at
// start.
func beforeEnvironments(dir string, current map[string]map[string]string, secrets *beforeSecrets) (map[string]map[string]string, error) {
	t, err := samtemplate.Load(filepath.Join(dir, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("-before: %w", err)
	}
	fns, err := t.Functions()
	if err != nil {
		return nil, fmt.Errorf("-before: %w", err)
	}
	res := samtemplate.Resolver{Template: t, Region: stack.Region, AccountID: stack.AccountID}
	res.Ref = func(id string) (string, error) {
		r, ok := t.Resources[id]
		if !ok || r.Type != "AWS::SecretsManager::Secret" {
			return "", fmt.Errorf("a Ref to %s: only secrets are resolved for -before's own variables", id)
		}
		arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-before", stack.Region, stack.AccountID, id)
		if !secrets.ids[arn] {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return "", err
			}
			secrets.store.Put(arn, id+"-before", hex.EncodeToString(b))
			secrets.ids[arn] = true
		}
		return arn, nil
	}
	out := map[string]map[string]string{}
	for _, f := range fns {
		vars := map[string]string{}
		for name, raw := range f.Environment {
			if v, ok := current[f.LogicalID][name]; ok {
				vars[name] = v
				continue
			}
			v, err := samtemplate.ResolveValue(raw, res)
			if err != nil {
				return nil, fmt.Errorf("-before: %s's %s: %w", f.LogicalID, name, err)
			}
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("-before: %s's %s is not a string", f.LogicalID, name)
			}
			vars[name] = s
		}
		out[f.LogicalID] = vars
	}
	return out, nil
}

// secretsRouter answers GetSecretValue for -before's own secrets and passes every other Secrets
// Manager call to the stack's.
func (b *beforeSecrets) router(stackURL string) (http.Handler, error) {
	u, err := url.Parse(stackURL)
	if err != nil {
		return nil, err
	}
	next := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ SecretId string }
		if json.Unmarshal(body, &in) == nil && b.ids[in.SecretId] {
			b.store.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}
