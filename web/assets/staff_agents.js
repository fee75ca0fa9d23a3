// Refundflow staff console, agents' part (issue 13): take a request for a client who phoned or wrote,
// and the ways out of "needs attention" (retry, settled outside, close). Kept apart from staff.js so
// the console's sign-in and case page can change without touching it. It builds its own panels and
// talks to the same staff API with the same token; every value reaches the page through textContent
// or setAttribute, never as HTML.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var api = root.getAttribute("data-api") || "/staff/api";
  var session = window.refundflowSession;
  if (!session) return;
  var byId = function (id) { return document.getElementById(id); };

  var el = session.el, say = session.say;
  function call(method, path, body, headers) {
    return session.call(api, method, path, body, headers);
  }
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function field(id, label, input, hint) {
    var f = el("div", { "class": "field" }, el("label", { "for": id }, label));
    if (hint) { f.appendChild(el("p", { "class": "hint", id: id + "-hint" }, hint)); input.setAttribute("aria-describedby", id + "-hint"); }
    f.appendChild(input);
    return f;
  }
  function select(id, options) {
    var s = el("select", { id: id });
    options.forEach(function (o) { s.appendChild(el("option", { value: o[0] }, o[1])); });
    return s;
  }
  function choice(name, value, label, checked) {
    var id = name + "-" + value;
    return el("div", { "class": "choice" }, el("input", { type: "radio", id: id, name: name, value: value, checked: checked ? "checked" : null }), el("label", { "for": id }, label));
  }

  // --- take a request -------------------------------------------------------------------------------
  var takeKey = newKey();
  var take = el("section", { "class": "panel", id: "take", "aria-labelledby": "take-title" },
    el("h2", { id: "take-title" }, "Take a request for a client"),
    el("p", { "class": "hint" }, "For a client who phoned or wrote. The options email goes to the email on the order, and the client accepts or declines through its link: staff never decide for the client."),
    el("form", { id: "take-form" },
      field("take-order", "Order number", el("input", { type: "text", id: "take-order", autocomplete: "off", spellcheck: "false", required: "required" })),
      field("take-channel", "Channel", select("take-channel", [["phone", "Phone"], ["email", "Email"], ["letter", "Letter"]])),
      field("take-kind", "The client wants", select("take-kind", [["refund", "A refund"], ["cancellation", "To cancel the service"]])),
      field("take-reason", "Reason", select("take-reason", [["changed_mind", "Changed my mind"], ["no_longer_needed", "No longer needed"],
        ["too_expensive", "Too expensive"], ["quality", "Quality"], ["not_as_described", "Not as described"],
        ["service_not_provided", "Service not provided"], ["duplicate_order", "Duplicate order"], ["other", "Other"]])),
      field("take-details", "The client's words", el("textarea", { id: "take-details", rows: "4", maxlength: "2000" })),
      el("button", { type: "submit", "class": "button" }, "Take the request")),
    el("p", { id: "take-status", "class": "status-line", role: "status" }));

  // --- the ways out of needs attention ---------------------------------------------------------------
  var act = el("section", { "class": "panel", id: "act", "aria-labelledby": "act-title", hidden: "hidden" },
    el("h2", { id: "act-title" }, "Needs attention: a way out"),
    el("form", { id: "act-form" },
      el("fieldset", null, el("legend", null, "Action"),
        choice("act-action", "retry", "Retry the step that failed (a refund replays the same attempt unless the provider refused it for certain)", true),
        choice("act-action", "settled_outside", "Settled outside: the money went back another way"),
        choice("act-action", "close", "Close with a message to the client")),
      el("div", { id: "act-settle", hidden: "hidden" },
        field("act-amount", "Amount (minor units, e.g. 180000 for 1,800.00)", el("input", { type: "text", id: "act-amount", inputmode: "numeric" })),
        field("act-currency", "Currency", el("input", { type: "text", id: "act-currency", maxlength: "3" })),
        field("act-method", "Method", el("input", { type: "text", id: "act-method", value: "bank transfer" })),
        field("act-reference", "Reference", el("input", { type: "text", id: "act-reference" }))),
      el("div", { id: "act-close", hidden: "hidden" },
        field("act-message", "Message to the client (emailed)", el("textarea", { id: "act-message", rows: "4", maxlength: "2000" }))),
      field("act-note", "Note for the audit trail (required)", el("textarea", { id: "act-note", rows: "3", maxlength: "2000", required: "required" })),
      el("button", { type: "submit", "class": "button" }, "Record the action")),
    el("p", { id: "act-status", "class": "status-line", role: "status" }));

  var detail = byId("detail");
  root.insertBefore(take, detail || null);
  if (detail) detail.parentNode.insertBefore(act, detail.nextSibling);

  byId("take-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { order_number: byId("take-order").value.trim(), channel: byId("take-channel").value, kind: byId("take-kind").value,
      reason: byId("take-reason").value, details: byId("take-details").value.trim() };
    say("take-status", "Saving…");
    call("POST", "/requests", body, { "Idempotency-Key": takeKey }).then(function (a) {
      say("take-status", "Request " + a.requestId + " taken by " + a.channel + ". The client gets the options by email.");
      takeKey = newKey();
      byId("take-form").reset();
    }).catch(function (err) { say("take-status", err.message, true); });
  });

  function action() { return (document.querySelector("input[name='act-action']:checked") || {}).value || "retry"; }
  byId("act-form").addEventListener("change", function () {
    byId("act-settle").hidden = action() !== "settled_outside";
    byId("act-close").hidden = action() !== "close";
  });

  // The case page shows one request at a time ("Request <id>" in #detail-title): the panel follows it.
  var currentId = "";
  function follow() {
    var title = byId("detail-title");
    var m = title && /^Request (\S+)$/.exec(title.textContent || "");
    var id = m ? m[1] : "";
    if (!id || id === currentId && !act.hidden) return;
    currentId = id;
    call("GET", "/requests/" + encodeURIComponent(id)).then(function (d) {
      var r = d && d.request || {};
      act.hidden = r.status !== "needs_attention";
      if (d && d.order) byId("act-currency").value = d.order.currency || "";
    }).catch(function () { act.hidden = true; });
  }
  if (byId("detail-title")) new MutationObserver(follow).observe(byId("detail-title"), { childList: true, characterData: true, subtree: true });

  byId("act-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { action: action(), note: byId("act-note").value.trim() };
    if (body.action === "close") body.message = byId("act-message").value.trim();
    if (body.action === "settled_outside") {
      body.settlement = { amount: { amount: parseInt(byId("act-amount").value, 10) || 0, currency: byId("act-currency").value.trim().toUpperCase() },
        method: byId("act-method").value.trim(), reference: byId("act-reference").value.trim() };
    }
    say("act-status", "Saving…");
    call("POST", "/requests/" + encodeURIComponent(currentId) + "/actions", body).then(function (a) {
      var text = "Recorded: " + a.action + (a.idempotency_key ? " with " + a.idempotency_key : "") + ". The request is " + (a.request && a.request.status) + ".";
      say("act-status", a.delivered === false && a.message ? text + " " + a.message : text);
      act.hidden = true;
    }).catch(function (err) { say("act-status", err.message, true); });
  });
})();
