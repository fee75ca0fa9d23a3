// Refundflow staff console: signing in. Staff sign in through the staff user pool's hosted sign-in,
// Cognito's OAuth 2.0 authorization code flow with PKCE (S256): the console's app client is public (a
// page can keep no secret), so the code the sign-in sends back to the address bar is only worth a
// token to the tab holding the verifier whose hash went out with the request. Locally the stack serves
// a stand-in with the same paths (/_local/signin/oauth2/authorize, /oauth2/token, /logout), so this
// file runs unchanged in both places. The page carries the public settings (data-signin-url,
// data-client-id, data-redirect-uri, data-signout-uri on #console).
//
// It runs before staff.js and staff_agents.js and gives them window.refundflowSession:
//   token()        the ID token to send as bearer, "" when there is none or it has expired
//   ready          a promise that resolves once the tab is signed in
//   renew()        the session ended (a 401, or the token expired): keep the draft, sign in again
//   restoreDraft() put back what the agent was typing (again once a request's form is built)
// Every value reaches the page through textContent, never as HTML.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var byId = function (id) { return document.getElementById(id); };
  var cfg = {
    url: (root.getAttribute("data-signin-url") || "").replace(/\/+$/, ""),
    client: root.getAttribute("data-client-id") || "",
    redirect: root.getAttribute("data-redirect-uri") || "",
    signout: root.getAttribute("data-signout-uri") || ""
  };

  // The tokens are kept in sessionStorage, not in the browser's lasting storage or a cookie:
  // sessionStorage belongs to this tab and ends with it, is not shared with other tabs or kept after
  // the browser closes, and the browser never sends it by itself, so no other site can make a request that
  // carries it (no CSRF). A new tab signs in again, which is a redirect to the hosted sign-in and
  // straight back while its own session lasts: staff sign in once per browser session. Only the ID
  // token is kept (the staff API's bearer, an hour long); no refresh token sits in the page.
  var TOKEN_KEY = "refundflow.staffToken";
  var FLOW_KEY = "refundflow.signIn";       // {state, verifier, back}: the sign-in under way in this tab
  var DRAFT_KEY = "refundflow.staffDraft";  // {fields, request}: what was being typed when the session ended
  var OUT_KEY = "refundflow.signedOut";     // the agent signed out: do not sign in again by itself

  function load(k) { try { return sessionStorage.getItem(k) || ""; } catch (e) { return ""; } }
  function store(k, v) {
    try {
      if (v === null) sessionStorage.removeItem(k); else sessionStorage.setItem(k, v);
      return true;
    } catch (e) { return false; }
  }

  function status(text, isError) {
    var n = byId("session-status");
    if (!n) return;
    n.textContent = text || "";
    n.classList.toggle("error", !!isError);
  }
  function buttons(signedIn) {
    root.classList.toggle("signed-out", !signedIn);
    byId("sign-in").hidden = signedIn;
    byId("sign-out").hidden = !signedIn;
  }

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function random(n) {
    var b = new Uint8Array(n);
    crypto.getRandomValues(b);
    return b64url(b);
  }

  // claims reads a token's payload without checking it: the API checks tokens; the console only reads
  // when this one ends and whom it names.
  function claims(t) {
    try {
      var p = t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (p.length % 4) p += "=";
      var bin = atob(p), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) { return null; }
  }
  function expired(t) {
    var c = claims(t);
    return !!(c && typeof c.exp === "number" && c.exp * 1000 <= Date.now() + 5000);
  }
  function token() {
    var t = load(TOKEN_KEY);
    return t && !expired(t) ? t : "";
  }

  // --- the draft -----------------------------------------------------------------------------------
  // The console's own fields (inputs, text areas, selects with an id), as typed. Nothing of it leaves
  // the tab; it is dropped once put back.
  function fields() {
    return Array.prototype.filter.call(root.querySelectorAll("input[id], textarea[id], select[id]"), function (f) {
      return f.type !== "password" && f.type !== "hidden" && f.type !== "submit" && f.type !== "button";
    });
  }
  function saveDraft() {
    var draft = { fields: {}, request: root.getAttribute("data-open") || "" };
    fields().forEach(function (f) {
      if (f.type === "checkbox") draft.fields[f.id] = f.checked;
      else if (f.type === "radio") { if (f.checked) draft.fields[f.id] = true; }
      else if (f.value !== f.defaultValue || f.tagName === "SELECT") draft.fields[f.id] = f.value;
    });
    store(DRAFT_KEY, JSON.stringify(draft));
  }
  function readDraft() {
    try { return JSON.parse(load(DRAFT_KEY)) || null; } catch (e) { return null; }
  }
  // restoreDraft puts back the fields that exist now and keeps the rest (a request's review form is
  // built once the request is open; staff.js calls this again then).
  function restoreDraft() {
    var draft = readDraft();
    if (!draft || !draft.fields) return;
    var left = {}, restored = 0;
    Object.keys(draft.fields).forEach(function (id) {
      var f = byId(id);
      if (!f || !root.contains(f)) { left[id] = draft.fields[id]; return; }
      if (f.type === "radio" || f.type === "checkbox") f.checked = !!draft.fields[id]; else f.value = draft.fields[id];
      f.dispatchEvent(new Event("input", { bubbles: true }));
      f.dispatchEvent(new Event("change", { bubbles: true }));
      restored++;
    });
    draft.fields = left;
    store(DRAFT_KEY, Object.keys(left).length ? JSON.stringify(draft) : null);
    if (restored) status(signedInText() + " What you were typing is back.");
  }

  // --- signing in and out ----------------------------------------------------------------------------
  function signedInText() {
    var c = claims(load(TOKEN_KEY)) || {};
    var who = c.email || c["cognito:username"] || c.sub || "";
    return who ? "Signed in as " + who + "." : "Signed in.";
  }

  // signIn sends the tab to the hosted sign-in with a fresh state and PKCE verifier; where the agent
  // was (?request=...) comes back with it.
  function signIn() {
    if (!cfg.url || !cfg.client || !cfg.redirect) {
      status("Sign-in is not configured for this console.", true);
      buttons(false);
      return;
    }
    // The sign-in comes back to the callback URL, and only the tab that started it there holds its
    // verifier: a console opened at another address (the API's own, say) goes there first.
    if (window.location.origin + window.location.pathname !== cfg.redirect.split("?")[0]) {
      window.location.assign(cfg.redirect.split("?")[0] + window.location.search);
      return;
    }
    var verifier = random(32), state = random(16);
    var back = root.getAttribute("data-open") ? "?request=" + encodeURIComponent(root.getAttribute("data-open")) : window.location.search;
    store(FLOW_KEY, JSON.stringify({ state: state, verifier: verifier, back: back }));
    store(OUT_KEY, null);
    status("Taking you to sign in…");
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (digest) {
      var q = new URLSearchParams({
        response_type: "code", client_id: cfg.client, redirect_uri: cfg.redirect, scope: "openid email profile",
        state: state, code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256"
      });
      window.location.assign(cfg.url + "/oauth2/authorize?" + q.toString());
    });
  }

  // finish exchanges the code the sign-in sent back for tokens, with the verifier only this tab has.
  function finish(params) {
    var flow = null;
    try { flow = JSON.parse(load(FLOW_KEY)); } catch (e) { flow = null; }
    store(FLOW_KEY, null);
    window.history.replaceState(null, "", window.location.pathname + (flow && flow.back ? flow.back : ""));
    if (!flow || flow.state !== params.get("state")) {
      return Promise.reject(new Error("This sign-in was not started in this tab, or was already used. Sign in again."));
    }
    var body = new URLSearchParams({
      grant_type: "authorization_code", client_id: cfg.client, code: params.get("code") || "",
      redirect_uri: cfg.redirect, code_verifier: flow.verifier
    });
    return fetch(cfg.url + "/oauth2/token", {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body.toString(),
      credentials: "omit", cache: "no-store"
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok || !data.id_token) throw new Error("The sign-in did not complete (" + (data.error || resp.status) + "). Sign in again.");
        store(TOKEN_KEY, data.id_token);
      });
    });
  }

  function signOut() {
    store(TOKEN_KEY, null);
    store(DRAFT_KEY, null);
    store(OUT_KEY, "1");
    if (!cfg.url) { status("You are signed out."); buttons(false); return; }
    var q = new URLSearchParams({ client_id: cfg.client, logout_uri: cfg.signout });
    window.location.assign(cfg.url + "/logout?" + q.toString());
  }

  // renew is for an ended session (the API said 401, or the token's time is up): what the agent was
  // typing is kept in this tab and put back after signing in again.
  var renewing = false;
  function renew() {
    if (renewing) return;
    renewing = true;
    saveDraft();
    store(TOKEN_KEY, null);
    status("Your session has ended. Signing you in again; what you were typing is kept.");
    signIn();
  }

  byId("sign-in").addEventListener("click", signIn);
  byId("sign-out").addEventListener("click", signOut);

  var resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });
  function signedIn() {
    status(signedInText());
    buttons(true);
    resolveReady();
  }

  // The panels' shared helpers (staff_agents.js, staff_questions.js): el builds an element whose
  // values go in through setAttribute and text nodes only, never as HTML; say writes a status line;
  // call sends a JSON request with the session's token to the staff API at api, and on a 401 starts
  // signing in again (what was typed is kept) before it fails.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) node.setAttribute(k, String(attrs[k]));
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== undefined && c !== null) node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function say(id, text, isError) {
    var n = byId(id);
    n.textContent = text || "";
    n.classList.toggle("error", !!isError);
  }
  function ended() {
    renew();
    return new Error("Your session has ended: signing you in again.");
  }
  function call(api, method, path, body, headers) {
    var t = token();
    if (!t) return Promise.reject(ended());
    var h = { "Authorization": "Bearer " + t, "Accept": "application/json", "Content-Type": "application/json" };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(api + path, { method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (resp.status === 401) throw ended();
          if (!resp.ok) {
            var e = data && data.error ? data.error : {};
            var msg = e.message || "The server answered " + resp.status + ".";
            if (e.fields) msg += " " + Object.keys(e.fields).map(function (k) { return k + ": " + e.fields[k]; }).join("; ");
            throw new Error(msg);
          }
          return data;
        });
      });
  }

  window.refundflowSession = { token: token, ready: ready, renew: renew, restoreDraft: restoreDraft, el: el, say: say, call: call };

  var params = new URLSearchParams(window.location.search);
  if (params.has("code") && params.has("state")) {
    status("Signing you in…");
    finish(params).then(signedIn, function (err) {
      status(err.message, true);
      buttons(false);
    });
  } else if (params.has("error")) {
    // The sign-in refused or was cancelled: say so and let the agent try again, never in a loop.
    window.history.replaceState(null, "", window.location.pathname);
    store(FLOW_KEY, null);
    status("The sign-in did not complete (" + params.get("error") + "). Sign in again.", true);
    buttons(false);
  } else if (token()) {
    signedIn();
  } else if (load(OUT_KEY) || !cfg.url) {
    status(cfg.url ? "You are signed out." : "Sign-in is not configured for this console.", !cfg.url);
    buttons(false);
  } else {
    signIn();
  }
})();
