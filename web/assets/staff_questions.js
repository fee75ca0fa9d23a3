// Refundflow staff console, questions' part (issue 13): the client's questions and the staff's replies
// on the case page, a reply box, and the count of unanswered questions in the request list. Kept apart
// from staff.js and staff_agents.js so each can change without the others. Every value reaches the
// page through textContent or setAttribute, never as HTML: a question is plain text, whatever it holds.
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
  function when(s) {
    var d = new Date(s);
    return isNaN(d) ? String(s || "") : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }
  function field(id, label, input) {
    return el("div", { "class": "field" }, el("label", { "for": id }, label), input);
  }

  // --- the thread and the reply box on the case page ---------------------------------------------
  var panel = el("section", { "class": "panel", id: "questions", "aria-labelledby": "questions-title", hidden: "hidden" },
    el("h2", { id: "questions-title" }, "Questions from the client"),
    el("p", { id: "questions-summary", "class": "status-line" }),
    el("ol", { id: "questions-thread", "class": "thread" }),
    el("form", { id: "reply-form" },
      field("reply-message", "Reply to the client (emailed to the order's email, shown on the status page)",
        el("textarea", { id: "reply-message", rows: "4", maxlength: "2000", required: "required" })),
      field("reply-note", "Note for the audit trail (required, not sent)",
        el("textarea", { id: "reply-note", rows: "2", maxlength: "2000", required: "required" })),
      el("button", { type: "submit", "class": "button" }, "Send the reply")),
    el("p", { id: "reply-status", "class": "status-line", role: "status" }));
  var detail = byId("detail");
  if (detail) detail.parentNode.insertBefore(panel, detail.nextSibling);

  function showThread(thread, summary) {
    var list = byId("questions-thread");
    while (list.firstChild) list.removeChild(list.firstChild);
    (thread || []).forEach(function (m) {
      var staff = m.from === "staff";
      list.appendChild(el("li", { "class": "thread-message " + (staff ? "from-staff" : "from-client") },
        el("p", { "class": "thread-meta" }, el("strong", null, staff ? "Staff (" + m.actor + ")" : "Client"), " · " + when(m.at)),
        el("p", { "class": "thread-text pre-line" }, m.text)));
    });
    var n = summary && summary.unanswered || 0;
    byId("questions-summary").textContent = !thread || thread.length === 0 ? "No questions yet. You can still write to the client." :
      n === 0 ? "Every question is answered." : n + (n === 1 ? " question awaits" : " questions await") + " a reply.";
  }

  // The case page shows one request at a time ("Request <id>" in #detail-title): the panel follows it.
  var currentId = "";
  function follow() {
    var title = byId("detail-title");
    var m = title && /^Request (\S+)$/.exec(title.textContent || "");
    currentId = m ? m[1] : "";
    if (!currentId) { panel.hidden = true; return; }
    var id = currentId;
    call("GET", "/requests/" + encodeURIComponent(id)).then(function (d) {
      if (id !== currentId) return;
      showThread(d.thread, d.questions);
      panel.hidden = false;
    }).catch(function () { panel.hidden = true; });
  }
  if (byId("detail-title")) new MutationObserver(follow).observe(byId("detail-title"), { childList: true, characterData: true, subtree: true });

  byId("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { message: byId("reply-message").value.trim(), note: byId("reply-note").value.trim() };
    say("reply-status", "Sending…");
    call("POST", "/requests/" + encodeURIComponent(currentId) + "/replies", body).then(function (r) {
      showThread(r.thread, { unanswered: 0 });
      byId("reply-form").reset();
      say("reply-status", r.emailed ? "Reply sent to the client by email and shown on their status page." : (r.message || "Reply saved."), !r.emailed);
    }).catch(function (err) { say("reply-status", err.message, true); });
  });

  // --- unanswered questions in the request list ----------------------------------------------------
  // staff.js draws the list; this marks each request with questions awaiting a reply, from the
  // "unanswered" counts of the same listing (the status chosen, or the waiting view), first 100.
  var listBody = byId("list-body");
  var marking = false;
  function mark() {
    if (marking || !listBody || listBody.childNodes.length === 0) return;
    var status = (byId("list-status-select") || {}).value || "";
    marking = true;
    call("GET", "/requests?limit=100&" + (status ? "status=" + encodeURIComponent(status) : "view=waiting")).then(function (data) {
      var counts = data && data.unanswered || {};
      Array.prototype.forEach.call(listBody.querySelectorAll("tr"), function (tr) {
        var cell = tr.querySelector("td");
        var id = cell && cell.querySelector("button") ? cell.querySelector("button").textContent : "";
        var old = tr.querySelector(".question-count");
        if (old) old.parentNode.removeChild(old);
        if (counts[id]) cell.appendChild(el("span", { "class": "question-count" }, " " + counts[id] + (counts[id] === 1 ? " question" : " questions")));
      });
    }).catch(function () { /* the list itself says what went wrong */ }).then(function () { marking = false; });
  }
  if (listBody) new MutationObserver(function (records) {
    // Only rows staff.js adds; the counts this script adds change nothing.
    if (records.some(function (r) { return r.target === listBody; })) mark();
  }).observe(listBody, { childList: true });
})();
