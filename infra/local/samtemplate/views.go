package samtemplate

import (
	"fmt"
	"sort"
	"strings"
)

// Resource types the typed views read.
const (
	TypeFunction     = "AWS::Serverless::Function"
	TypeHttpApi      = "AWS::Serverless::HttpApi"
	TypeStateMachine = "AWS::Serverless::StateMachine"
	TypeTable        = "AWS::DynamoDB::Table"
)

// ImplicitHttpApiID is the logical ID SAM gives the HTTP API it creates for
// HttpApi events that name no ApiId.
const ImplicitHttpApiID = "ServerlessHttpApi"

// Function is the typed view of an AWS::Serverless::Function, with
// Globals.Function merged in as SAM does.
type Function struct {
	// LogicalID is the function's key in Resources.
	LogicalID string
	// CodeUri is the local code path when CodeUri is a string ("" otherwise).
	CodeUri string
	// Handler is the handler name (bootstrap for provided runtimes).
	Handler string
	// Runtime is the Lambda runtime, e.g. provided.al2023.
	Runtime string
	// Architectures lists the architectures, e.g. [arm64].
	Architectures []string
	// Timeout is the timeout in seconds (0 when unset: Lambda's default 3).
	Timeout int
	// MemorySize is the memory in MB (0 when unset: Lambda's default 128).
	MemorySize int
	// BuildMethod is Metadata.BuildMethod (e.g. makefile, go1.x).
	BuildMethod string
	// AutoPublishAlias is the alias SAM publishes a version under on every deploy (e.g. live), ""
	// when the function runs as $LATEST. Its event sources then invoke the alias, and the template
	// reaches it as !Ref <LogicalID>.Alias.
	AutoPublishAlias string
	// Environment maps each environment variable to its raw value; the
	// function's own variables override Globals'. Use ResolveEnvironment
	// for strings.
	Environment map[string]any
	// Policies is the raw Policies property (string, list of policy
	// templates or statements, or an intrinsic).
	Policies any
	// Events lists the function's HttpApi events, sorted by name.
	Events []HttpApiEvent
	// Condition is the resource's Condition, if any.
	Condition string
	// Properties holds all merged properties in long form.
	Properties map[string]any
}

// HttpApiEvent is one event of type HttpApi on a function.
type HttpApiEvent struct {
	// Name is the event's key under Events.
	Name string
	// Method is the upper-case HTTP method, or ANY.
	Method string
	// Path is the route path ("/requests/{id}", "/{proxy+}"); empty for the
	// $default route.
	Path string
	// ApiID is the logical ID of the HttpApi (from ApiId: !Ref X); empty
	// means SAM's implicit API (ImplicitHttpApiID).
	ApiID string
	// Authorizer is Auth.Authorizer as written: "" when not given (the
	// API's DefaultAuthorizer applies), "NONE" for an open route.
	Authorizer string
	// AuthorizationScopes is Auth.AuthorizationScopes.
	AuthorizationScopes []string
	// PayloadFormatVersion is the payload version ("2.0" when unset).
	PayloadFormatVersion string
	// TimeoutInMillis is the integration timeout (0 when unset).
	TimeoutInMillis int
}

// RouteKey returns the route key API Gateway uses: "$default" or
// "METHOD /path".
func (e HttpApiEvent) RouteKey() string {
	if e.Path == "" {
		return "$default"
	}
	return e.Method + " " + e.Path
}

// HttpApi is the typed view of an AWS::Serverless::HttpApi, with
// Globals.HttpApi merged in.
type HttpApi struct {
	// LogicalID is the API's key in Resources (ImplicitHttpApiID for SAM's
	// implicit API).
	LogicalID string
	// StageName is the stage ("$default" when unset).
	StageName string
	// Authorizers maps each authorizer name to its definition.
	Authorizers map[string]Authorizer
	// DefaultAuthorizer names the authorizer for routes that name none.
	DefaultAuthorizer string
	// Cors is the CorsConfiguration, nil when CORS is off.
	Cors *Cors
	// Properties holds all merged properties in long form.
	Properties map[string]any
}

// Authorizer is one entry of an HttpApi's Auth.Authorizers.
type Authorizer struct {
	// Name is the authorizer's key.
	Name string
	// IdentitySource is where the token is read, by default
	// "$request.header.Authorization".
	IdentitySource string
	// JWT reports a JWT authorizer (it has a JwtConfiguration); otherwise
	// it is a Lambda authorizer (FunctionArn).
	JWT bool
	// Issuer is JwtConfiguration.issuer, raw.
	Issuer any
	// Audience is JwtConfiguration.audience, raw (a list or an intrinsic).
	Audience any
	// AuthorizationScopes are the authorizer's default scopes.
	AuthorizationScopes []string
	// FunctionArn is the raw FunctionArn of a Lambda authorizer.
	FunctionArn any
}

// ResolveJWT resolves the issuer and audience of a JWT authorizer.
func (a Authorizer) ResolveJWT(env Resolver) (issuer string, audience []string, err error) {
	if !a.JWT {
		return "", nil, fmt.Errorf("authorizer %s: not a JWT authorizer", a.Name)
	}
	if issuer, err = Resolve(a.Issuer, env); err != nil {
		return "", nil, fmt.Errorf("authorizer %s: JwtConfiguration.issuer: %w", a.Name, err)
	}
	if audience, err = ResolveList(a.Audience, env); err != nil {
		return "", nil, fmt.Errorf("authorizer %s: JwtConfiguration.audience: %w", a.Name, err)
	}
	return issuer, audience, nil
}

// Cors is an HttpApi CorsConfiguration. The lists stay raw because a
// template often builds them from parameters (!Ref, !Split).
type Cors struct {
	// AllowOrigins is the raw AllowOrigins list.
	AllowOrigins any
	// AllowMethods is the raw AllowMethods list.
	AllowMethods any
	// AllowHeaders is the raw AllowHeaders list.
	AllowHeaders any
	// ExposeHeaders is the raw ExposeHeaders list.
	ExposeHeaders any
	// MaxAge is the preflight cache time in seconds.
	MaxAge int
	// AllowCredentials allows credentialed requests.
	AllowCredentials bool
}

// ResolvedCors is a Cors whose lists are resolved to strings.
type ResolvedCors struct {
	// AllowOrigins lists the allowed origins ("*" for any).
	AllowOrigins []string
	// AllowMethods lists the allowed methods.
	AllowMethods []string
	// AllowHeaders lists the allowed request headers.
	AllowHeaders []string
	// ExposeHeaders lists the response headers exposed to scripts.
	ExposeHeaders []string
	// MaxAge is the preflight cache time in seconds.
	MaxAge int
	// AllowCredentials allows credentialed requests.
	AllowCredentials bool
}

// Resolve resolves the CORS lists for one environment.
func (c Cors) Resolve(env Resolver) (ResolvedCors, error) {
	out := ResolvedCors{MaxAge: c.MaxAge, AllowCredentials: c.AllowCredentials}
	for _, f := range []struct {
		name string
		raw  any
		dst  *[]string
	}{
		{"AllowOrigins", c.AllowOrigins, &out.AllowOrigins},
		{"AllowMethods", c.AllowMethods, &out.AllowMethods},
		{"AllowHeaders", c.AllowHeaders, &out.AllowHeaders},
		{"ExposeHeaders", c.ExposeHeaders, &out.ExposeHeaders},
	} {
		if f.raw == nil {
			continue
		}
		l, err := ResolveList(f.raw, env)
		if err != nil {
			return ResolvedCors{}, fmt.Errorf("CorsConfiguration.%s: %w", f.name, err)
		}
		*f.dst = l
	}
	return out, nil
}

// StateMachine is the typed view of an AWS::Serverless::StateMachine.
type StateMachine struct {
	// LogicalID is the state machine's key in Resources.
	LogicalID string
	// Name is the raw Name property (nil when CloudFormation names it).
	Name any
	// Type is STANDARD or EXPRESS (STANDARD when unset).
	Type string
	// DefinitionUri is the local definition path when it is a string.
	DefinitionUri string
	// Definition is an inline Definition, raw.
	Definition any
	// DefinitionSubstitutions maps each ${Placeholder} name to its raw value.
	DefinitionSubstitutions map[string]any
	// Policies is the raw Policies property.
	Policies any
	// Role is the raw Role property.
	Role any
	// Logging is the Logging configuration, nil when unset.
	Logging *StateMachineLogging
	// Tracing reports Tracing.Enabled.
	Tracing bool
	// Properties holds all properties in long form.
	Properties map[string]any
}

// StateMachineLogging is a state machine's Logging property.
type StateMachineLogging struct {
	// Level is ALL, ERROR, FATAL or OFF.
	Level string
	// IncludeExecutionData says whether input/output is logged.
	IncludeExecutionData bool
	// Destinations is the raw Destinations list.
	Destinations any
}

// Functions returns every AWS::Serverless::Function, sorted by logical ID.
func (t *Template) Functions() ([]Function, error) {
	var out []Function
	for _, r := range t.ResourcesOfType(TypeFunction) {
		f, err := functionView(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// RefProperty splits a Ref to one of the resources SAM generates for a serverless resource, such as
// "MyFunction.Alias" (the AWS::Lambda::Alias that AutoPublishAlias creates; its Ref is the alias ARN)
// or "MyFunction.Version", into the logical ID and the property. ok is false for a plain logical ID.
func RefProperty(name string) (logicalID, property string, ok bool) {
	id, prop, found := strings.Cut(name, ".")
	if !found || id == "" || prop == "" {
		return name, "", false
	}
	return id, prop, true
}

// Function returns the function with the given logical ID.
func (t *Template) Function(id string) (Function, error) {
	r, ok := t.Resources[id]
	if !ok || r.Type != TypeFunction {
		return Function{}, fmt.Errorf("no %s named %s", TypeFunction, id)
	}
	return functionView(r)
}

func functionView(r Resource) (Function, error) {
	p := props{where: "function " + r.LogicalID, m: r.Properties}
	f := Function{LogicalID: r.LogicalID, Properties: r.Properties, Condition: r.Condition, Policies: r.Properties["Policies"]}
	var err error
	if s, ok := r.Properties["CodeUri"].(string); ok {
		f.CodeUri = s
	}
	if f.Handler, err = p.str("Handler"); err != nil {
		return Function{}, err
	}
	if f.Runtime, err = p.str("Runtime"); err != nil {
		return Function{}, err
	}
	if f.Architectures, err = p.strList("Architectures"); err != nil {
		return Function{}, err
	}
	if f.Timeout, err = p.integer("Timeout"); err != nil {
		return Function{}, err
	}
	if f.MemorySize, err = p.integer("MemorySize"); err != nil {
		return Function{}, err
	}
	if f.AutoPublishAlias, err = p.str("AutoPublishAlias"); err != nil {
		return Function{}, err
	}
	if f.Environment, err = p.envVars(); err != nil {
		return Function{}, err
	}
	meta := props{where: p.where + ": Metadata", m: r.Metadata}
	if f.BuildMethod, err = meta.str("BuildMethod"); err != nil {
		return Function{}, err
	}
	events, err := p.sub("Events")
	if err != nil {
		return Function{}, err
	}
	names := make([]string, 0, len(events.m))
	for name := range events.m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ev, err := events.sub(name)
		if err != nil {
			return Function{}, err
		}
		typ, err := ev.str("Type")
		if err != nil {
			return Function{}, err
		}
		if typ != "HttpApi" {
			continue
		}
		e, err := httpApiEvent(name, ev)
		if err != nil {
			return Function{}, err
		}
		f.Events = append(f.Events, e)
	}
	return f, nil
}

func httpApiEvent(name string, ev props) (HttpApiEvent, error) {
	e := HttpApiEvent{Name: name}
	pp, err := ev.sub("Properties")
	if err != nil {
		return e, err
	}
	if e.Method, err = pp.str("Method"); err != nil {
		return e, err
	}
	e.Method = strings.ToUpper(e.Method)
	if e.Path, err = pp.str("Path"); err != nil {
		return e, err
	}
	switch {
	case e.Path == "" && e.Method != "":
		return e, pp.errorf("Path", "required when Method is set")
	case e.Path != "" && e.Method == "":
		e.Method = "ANY"
	case e.Path != "" && !strings.HasPrefix(e.Path, "/"):
		return e, pp.errorf("Path", "%q must start with /", e.Path)
	}
	if e.Path != "" {
		if err := checkRoutePath(e.Path); err != nil {
			return e, pp.errorf("Path", "%v", err)
		}
	}
	if e.ApiID, err = pp.refName("ApiId"); err != nil {
		return e, err
	}
	if e.PayloadFormatVersion, err = pp.str("PayloadFormatVersion"); err != nil {
		return e, err
	}
	if e.PayloadFormatVersion == "" {
		e.PayloadFormatVersion = "2.0"
	}
	if e.TimeoutInMillis, err = pp.integer("TimeoutInMillis"); err != nil {
		return e, err
	}
	auth, err := pp.sub("Auth")
	if err != nil {
		return e, err
	}
	if e.Authorizer, err = auth.str("Authorizer"); err != nil {
		return e, err
	}
	if e.AuthorizationScopes, err = auth.strList("AuthorizationScopes"); err != nil {
		return e, err
	}
	return e, nil
}

// checkRoutePath checks a route path the way API Gateway does: {name}
// segments, and a greedy {name+} only as the last segment.
func checkRoutePath(path string) error {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	seen := map[string]bool{}
	for i, s := range segs {
		if !strings.ContainsAny(s, "{}") {
			continue
		}
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || len(s) < 3 {
			return fmt.Errorf("%q: a parameter must be a whole segment {name}", path)
		}
		name := s[1 : len(s)-1]
		if greedy, ok := strings.CutSuffix(name, "+"); ok {
			if i != len(segs)-1 {
				return fmt.Errorf("%q: greedy parameter {%s} must be last", path, name)
			}
			name = greedy
		}
		if name == "" || seen[name] {
			return fmt.Errorf("%q: parameter names must be non-empty and unique", path)
		}
		seen[name] = true
	}
	return nil
}

// HttpApis returns every AWS::Serverless::HttpApi, sorted by logical ID,
// plus SAM's implicit API when some HttpApi event names no ApiId.
func (t *Template) HttpApis() ([]HttpApi, error) {
	var out []HttpApi
	for _, r := range t.ResourcesOfType(TypeHttpApi) {
		a, err := httpApiView(r.LogicalID, r.Properties)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if _, explicit := t.Resources[ImplicitHttpApiID]; !explicit && t.usesImplicitAPI() {
		a, err := t.HttpApi(ImplicitHttpApiID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *Template) usesImplicitAPI() bool {
	fns, err := t.Functions()
	if err != nil {
		return false
	}
	for _, f := range fns {
		for _, e := range f.Events {
			if e.ApiID == "" {
				return true
			}
		}
	}
	return false
}

// HttpApi returns the HTTP API with the given logical ID. ImplicitHttpApiID
// names SAM's implicit API (configured only by Globals.HttpApi) unless the
// template declares a resource with that ID.
func (t *Template) HttpApi(id string) (HttpApi, error) {
	if r, ok := t.Resources[id]; ok {
		if r.Type != TypeHttpApi {
			return HttpApi{}, fmt.Errorf("resource %s is a %s, not a %s", id, r.Type, TypeHttpApi)
		}
		return httpApiView(id, r.Properties)
	}
	if id == ImplicitHttpApiID {
		return httpApiView(id, t.Globals.Raw["HttpApi"])
	}
	return HttpApi{}, fmt.Errorf("no %s named %s", TypeHttpApi, id)
}

func httpApiView(id string, m map[string]any) (HttpApi, error) {
	p := props{where: "http api " + id, m: m}
	a := HttpApi{LogicalID: id, Properties: m, Authorizers: map[string]Authorizer{}}
	var err error
	if a.StageName, err = p.str("StageName"); err != nil {
		return a, err
	}
	if a.StageName == "" {
		a.StageName = "$default"
	}
	auth, err := p.sub("Auth")
	if err != nil {
		return a, err
	}
	if a.DefaultAuthorizer, err = auth.str("DefaultAuthorizer"); err != nil {
		return a, err
	}
	authorizers, err := auth.sub("Authorizers")
	if err != nil {
		return a, err
	}
	for name := range authorizers.m {
		ap, err := authorizers.sub(name)
		if err != nil {
			return a, err
		}
		az := Authorizer{Name: name}
		if az.IdentitySource, err = ap.str("IdentitySource"); err != nil {
			return a, err
		}
		if az.IdentitySource == "" {
			az.IdentitySource = "$request.header.Authorization"
		}
		if az.AuthorizationScopes, err = ap.strList("AuthorizationScopes"); err != nil {
			return a, err
		}
		jc, err := ap.sub("JwtConfiguration")
		if err != nil {
			return a, err
		}
		if jc.m != nil {
			az.JWT = true
			az.Issuer = jc.m["issuer"]
			az.Audience = jc.m["audience"]
			if az.Issuer == nil {
				return a, jc.errorf("issuer", "required")
			}
			if az.Audience == nil {
				return a, jc.errorf("audience", "required")
			}
		} else {
			az.FunctionArn = ap.m["FunctionArn"]
			if az.FunctionArn == nil {
				return a, ap.errorf("JwtConfiguration", "an authorizer needs JwtConfiguration or FunctionArn")
			}
		}
		a.Authorizers[name] = az
	}
	if a.DefaultAuthorizer != "" {
		if _, ok := a.Authorizers[a.DefaultAuthorizer]; !ok {
			return a, auth.errorf("DefaultAuthorizer", "%q is not in Authorizers", a.DefaultAuthorizer)
		}
	}
	switch c := m["CorsConfiguration"].(type) {
	case nil:
	case bool:
		if c {
			// SAM's shorthand: any origin, header and method.
			a.Cors = &Cors{AllowOrigins: []any{"*"}, AllowHeaders: []any{"*"}, AllowMethods: []any{"*"}}
		}
	case map[string]any:
		cp := props{where: p.where + ": CorsConfiguration", m: c}
		cors := &Cors{AllowOrigins: c["AllowOrigins"], AllowMethods: c["AllowMethods"], AllowHeaders: c["AllowHeaders"], ExposeHeaders: c["ExposeHeaders"]}
		if cors.MaxAge, err = cp.integer("MaxAge"); err != nil {
			return a, err
		}
		if cors.AllowCredentials, err = cp.boolean("AllowCredentials"); err != nil {
			return a, err
		}
		a.Cors = cors
	default:
		return a, p.errorf("CorsConfiguration", "want true or a mapping, got %s", describe(c))
	}
	return a, nil
}

// Route is one HttpApi route with its authorization decided: the event's
// Auth, else the API's DefaultAuthorizer.
type Route struct {
	// Function is the logical ID of the function the route invokes.
	Function string
	// Event is the event's name under the function's Events.
	Event string
	// API is the logical ID of the HTTP API (ImplicitHttpApiID when implicit).
	API string
	// Method is the upper-case method or ANY ("" for $default).
	Method string
	// Path is the route path ("" for $default).
	Path string
	// Authorizer names the authorizer protecting the route ("" for none).
	Authorizer string
	// Scopes are the scopes the token must carry (one of them suffices).
	Scopes []string
	// Condition is the function's Condition: when it evaluates to false
	// (EvalCondition), the deployed stack has neither function nor route.
	Condition string
}

// RouteKey returns "$default" or "METHOD /path".
func (r Route) RouteKey() string {
	if r.Path == "" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// HttpRoutes returns every HttpApi route of every function, sorted by API
// and route key. It fails on a route that names an unknown API or
// authorizer, or on two routes with the same key in one API, as a
// deployment would.
func (t *Template) HttpRoutes() ([]Route, error) {
	fns, err := t.Functions()
	if err != nil {
		return nil, err
	}
	apis := map[string]HttpApi{}
	seen := map[string]string{}
	var out []Route
	for _, f := range fns {
		for _, e := range f.Events {
			apiID := e.ApiID
			if apiID == "" {
				apiID = ImplicitHttpApiID
			}
			api, ok := apis[apiID]
			if !ok {
				if api, err = t.HttpApi(apiID); err != nil {
					return nil, fmt.Errorf("function %s: event %s: ApiId: %w", f.LogicalID, e.Name, err)
				}
				apis[apiID] = api
			}
			r := Route{Function: f.LogicalID, Event: e.Name, API: apiID, Method: e.Method, Path: e.Path, Condition: f.Condition}
			authz := e.Authorizer
			if authz == "" {
				authz = api.DefaultAuthorizer
			}
			if authz != "" && authz != "NONE" {
				a, ok := api.Authorizers[authz]
				if !ok {
					return nil, fmt.Errorf("function %s: event %s: Auth.Authorizer: %q is not an authorizer of %s", f.LogicalID, e.Name, authz, apiID)
				}
				r.Authorizer = authz
				r.Scopes = a.AuthorizationScopes
				if len(e.AuthorizationScopes) > 0 {
					r.Scopes = e.AuthorizationScopes
				}
			} else if len(e.AuthorizationScopes) > 0 {
				return nil, fmt.Errorf("function %s: event %s: Auth.AuthorizationScopes set on a route without an authorizer", f.LogicalID, e.Name)
			}
			key := apiID + " " + r.RouteKey()
			if prev, dup := seen[key]; dup {
				return nil, fmt.Errorf("function %s: event %s: route %q of %s is also defined by %s", f.LogicalID, e.Name, r.RouteKey(), apiID, prev)
			}
			seen[key] = f.LogicalID + "." + e.Name
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].API != out[j].API {
			return out[i].API < out[j].API
		}
		return out[i].RouteKey() < out[j].RouteKey()
	})
	return out, nil
}

// StateMachines returns every AWS::Serverless::StateMachine, sorted by
// logical ID.
func (t *Template) StateMachines() ([]StateMachine, error) {
	var out []StateMachine
	for _, r := range t.ResourcesOfType(TypeStateMachine) {
		s, err := stateMachineView(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func stateMachineView(r Resource) (StateMachine, error) {
	p := props{where: "state machine " + r.LogicalID, m: r.Properties}
	s := StateMachine{
		LogicalID:  r.LogicalID,
		Properties: r.Properties,
		Name:       r.Properties["Name"],
		Definition: r.Properties["Definition"],
		Policies:   r.Properties["Policies"],
		Role:       r.Properties["Role"],
	}
	var err error
	if s.Type, err = p.str("Type"); err != nil {
		return s, err
	}
	if s.Type == "" {
		s.Type = "STANDARD"
	}
	if s.Type != "STANDARD" && s.Type != "EXPRESS" {
		return s, p.errorf("Type", "want STANDARD or EXPRESS, got %q", s.Type)
	}
	if u, ok := r.Properties["DefinitionUri"].(string); ok {
		s.DefinitionUri = u
	}
	if s.DefinitionUri == "" && s.Definition == nil && r.Properties["DefinitionUri"] == nil {
		return s, p.errorf("DefinitionUri", "a state machine needs DefinitionUri or Definition")
	}
	subs, err := p.sub("DefinitionSubstitutions")
	if err != nil {
		return s, err
	}
	s.DefinitionSubstitutions = map[string]any{}
	for k, v := range subs.m {
		s.DefinitionSubstitutions[k] = v
	}
	logging, err := p.sub("Logging")
	if err != nil {
		return s, err
	}
	if logging.m != nil {
		l := &StateMachineLogging{Destinations: logging.m["Destinations"]}
		if l.Level, err = logging.str("Level"); err != nil {
			return s, err
		}
		if l.IncludeExecutionData, err = logging.boolean("IncludeExecutionData"); err != nil {
			return s, err
		}
		s.Logging = l
	}
	tracing, err := p.sub("Tracing")
	if err != nil {
		return s, err
	}
	if s.Tracing, err = tracing.boolean("Enabled"); err != nil {
		return s, err
	}
	return s, nil
}

// ResolveEnvironment resolves the function's environment variables for one
// environment. A variable whose value resolves to AWS::NoValue is left out,
// as CloudFormation does.
func (f Function) ResolveEnvironment(env Resolver) (map[string]string, error) {
	out, err := ResolveMap(f.Environment, env)
	if err != nil {
		return nil, fmt.Errorf("function %s: Environment.Variables.%w", f.LogicalID, err)
	}
	return out, nil
}

// ResolveSubstitutions resolves the DefinitionSubstitutions for one
// environment.
func (s StateMachine) ResolveSubstitutions(env Resolver) (map[string]string, error) {
	out, err := ResolveMap(s.DefinitionSubstitutions, env)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: DefinitionSubstitutions.%w", s.LogicalID, err)
	}
	return out, nil
}
