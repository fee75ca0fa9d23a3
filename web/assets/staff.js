// Refundflow staff console. Talks to the staff JSON API with the bearer token staff_signin.js got at
// sign-in (window.refundflowSession).
// Every piece of data reaches the page through textContent or setAttribute on elements this script
// creates, never by parsing strings as HTML, so nothing a client typed can become markup or script.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var api = root.getAttribute("data-api") || "/staff/api";
  var session = window.refundflowSession;
  if (!session) return;
  var byId = function (id) { return document.getElementById(id); };

  // el builds an element: attributes by setAttribute, children as nodes or text.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) node.setAttribute(k, String(attrs[k]));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === undefined || c === null) continue;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function say(id, text, isError) {
    var n = byId(id);
    n.textContent = text || "";
    n.classList.toggle("error", !!isError);
  }

  // ended is the error of a call made after the session ended: the tab is on its way to sign in
  // again (session.renew keeps what the agent was typing).
  function ended() {
    session.renew();
    return new Error("Your session has ended: signing you in again.");
  }

  // call sends one request to the staff API and returns the decoded JSON, or throws an Error whose
  // message is the API's own error message.
  function call(method, path, body) {
    var t = session.token();
    if (!t) return Promise.reject(ended());
    var headers = { "Authorization": "Bearer " + t, "Accept": "application/json" };
    var init = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(api + path, init).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (resp.status === 401) throw ended();
        if (!resp.ok) {
          var msg = data && data.error && data.error.message ? data.error.message : "The server answered " + resp.status + ".";
          if (data && data.error && data.error.fields) {
            msg += " " + Object.keys(data.error.fields).map(function (k) { return k + ": " + data.error.fields[k]; }).join("; ");
          }
          throw new Error(msg);
        }
        return data || {};
      });
    });
  }

  // The currencies whose minor unit is not 1/100, as refund.Exponent lists them: the console must
  // read and write amounts with the same number of decimals as the server.
  var ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(" ");
  var THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND".split(" ");
  function exponent(currency) {
    if (ZERO_DECIMALS.indexOf(currency) >= 0) return 0;
    if (THREE_DECIMALS.indexOf(currency) >= 0) return 3;
    return 2;
  }

  // decimal gives a minor-unit amount as a decimal string: "1234.50" for editing (what
  // refund.ParseMoney reads), or with grouping "1,234.50".
  function decimal(m, grouped) {
    var digits = exponent(m.currency);
    var neg = m.amount < 0, abs = Math.abs(m.amount), unit = Math.pow(10, digits);
    var whole = String(Math.floor(abs / unit)), frac = String(abs % unit);
    while (frac.length < digits) frac = "0" + frac;
    if (grouped) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + whole + (digits > 0 ? "." + frac : "");
  }

  // money formats {amount, currency} (minor units) exactly as refund.Money.String does
  // ("EUR 12,000.00", "JPY 1,200", "EUR -300.00"), so amounts the console formats read like the
  // ones inside terms and audit details, which the server wrote.
  function money(m) {
    if (!m || typeof m.amount !== "number" || !m.currency) return "";
    return m.currency + " " + decimal(m, true);
  }

  // count words a number of things: "1 answer", "3 answers", "0 answers".
  function count(n, singular, plural) { return n === 1 ? "1 " + singular : n + " " + plural; }

  function utc(s) {
    var d = new Date(s);
    return isNaN(d.getTime()) ? String(s) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  // when gives a time in the agent's own time zone as text ("2026-12-06 21:16").
  function when(s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d.getTime())) return String(s);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // whenNode is when as a <time> element followed by the time in UTC as text, which a screen reader
  // reads and a keyboard user sees (a tooltip is neither); the tooltip stays for the mouse.
  function whenNode(s) {
    if (!s) return "";
    return el("time", { datetime: String(s), title: utc(s) }, when(s), el("span", { "class": "utc" }, " (" + utc(s) + ")"));
  }
  // age says how long ago s was, in words: "5 min", "3 h", "2 days".
  function age(s) {
    var ms = Date.now() - new Date(s).getTime();
    if (isNaN(ms)) return "";
    var min = Math.max(0, Math.floor(ms / 60000));
    if (min < 60) return count(min, "minute", "minutes");
    if (min < 48 * 60) return count(Math.floor(min / 60), "hour", "hours");
    return count(Math.floor(min / 1440), "day", "days");
  }

  // Words for the codes the API speaks, so staff read "In review", not "in_review".
  var WORDS = {
    status: { submitted: "Submitted", rejected: "Rejected by the checks", in_review: "In review", awaiting_consent: "Waiting for the client",
      executing: "Being carried out", completed: "Completed", declined: "Declined by the client", withdrawn: "Withdrawn by the client",
      expired: "Expired", needs_attention: "Needs attention", review_rejected: "Rejected by staff" },
    kind: { refund: "Refund", cancellation: "Cancellation" },
    reason: { changed_mind: "Changed their mind", no_longer_needed: "No longer needed", too_expensive: "Too expensive",
      quality: "Quality complaint", not_as_described: "Not as described", service_not_provided: "Service not provided",
      duplicate_order: "Duplicate order", other: "Other" },
    offer: { full_refund: "Full refund", partial_refund: "Partial refund", service_credit: "Service credit", pause: "Pause",
      switch_service: "Switch service", cancel_at_period_end: "Cancel at period end" },
    service: { project: "Project", subscription: "Support subscription", hours: "Prepaid hours" },
    decision: { approve: "Approve the offers", adjust: "Adjust the offers", reject: "Reject", accepted: "Accepted", declined: "Declined",
      accept: "Accepted", decline: "Declined" },
    action: { submitted: "Request sent", status_changed: "Status changed", offers_proposed: "Offers proposed", review_proposed: "Decision proposed (needs a second person)",
      review_approved: "Review approved", offers_adjusted: "Offers adjusted", review_rejected: "Review rejected", viewed: "Page viewed",
      consent_recorded: "Client answered", mail_sent: "Email sent" },
    state: { reserved: "Reserved", succeeded: "Refunded", failed: "Failed" }
  };
  function words(kind, code) { return (WORDS[kind] && WORDS[kind][code]) || (code ? String(code).replace(/_/g, " ") : ""); }

  // Verification findings as staff read them (the server's messages are written to the client).
  var FINDINGS = {
    order_matched: ["Order number, purchase date and email match the order on record.", "Order number, purchase date or email do not match the order on record."],
    order_not_matched: ["", "Order number, purchase date or email do not match the order on record (the client was told the same as for an unknown order)."],
    order_open: ["The order is active.", "The order is not active."],
    order_closed: ["", "The order is already closed or cancelled."],
    within_max_age: ["The order is recent enough for the policy.", "The order is older than the policy allows."],
    too_old: ["", "The order is older than the policy allows."],
    card_payment: ["Paid by card with 3-D Secure, captured: a refund can go back to it.", "No refundable card payment."],
    no_card_payment: ["", "No captured 3-D Secure card payment to refund to."],
    invalid_submission: ["", "The form was not filled in correctly."],
    date_in_future: ["", "The purchase date given is in the future."],
    ok: ["All checks passed.", "A check failed."]
  };
  function finding(f) {
    var t = FINDINGS[f.code];
    return (t && t[f.passed ? 0 : 1]) || f.message;
  }

  function cell(tag, text) { return el(tag, tag === "th" ? { scope: "row" } : null, text); }

  // --- request list --------------------------------------------------------------------------
  var listCursor = "", listQuery = "";
  // td builds a cell with the column's name for the narrow layout, where each row is a card.
  function td(label, content) { return el("td", { "data-label": label }, content); }
  function showCounts(c) {
    if (!c) return;
    var order = ["needs_attention", "in_review", "submitted", "awaiting_consent", "executing"];
    byId("list-counts").textContent = order.map(function (k) { return words("status", k) + ": " + (c[k] || 0); }).join(" · ");
  }
  // loadList shows the waiting view, a status, or (search set) the requests a search finds.
  function loadList(more, search) {
    if (!more) {
      var status = byId("list-status-select").value;
      listQuery = search !== undefined ? "?q=" + encodeURIComponent(search)
        : status ? "?status=" + encodeURIComponent(status) : "?view=waiting";
      listCursor = "";
    }
    var q = listQuery + (more && listCursor ? "&cursor=" + encodeURIComponent(listCursor) : "");
    say("list-status", "Loading…");
    return call("GET", "/requests" + q).then(function (data) {
      var body = byId("list-body");
      if (!more) clear(body);
      showCounts(data.counts);
      (data.requests || []).forEach(function (r) {
        var open = el("button", { type: "button", "class": "link-button" }, r.id);
        open.addEventListener("click", function () { openRequest(r.id); });
        body.appendChild(el("tr", null, td("Request", open), td("Order", r.order_number),
          td("Kind", words("kind", r.kind) + (r.reason ? " · " + words("reason", r.reason) : "")), td("Status", words("status", r.status)),
          td("Waiting", age(r.updated_at)), td("Since", whenNode(r.updated_at))));
      });
      listCursor = data.next || "";
      // The waiting view goes from one status to the next: an empty page of the first leads on.
      if (!(data.requests || []).length && listCursor) return loadList(true);
      byId("list-more").hidden = !listCursor;
      byId("list-table").hidden = body.childNodes.length === 0;
      var what = search !== undefined ? "Requests found for “" + search + "”, newest first"
        : listQuery === "?view=waiting" ? "Waiting for staff, oldest first" : "Requests: " + words("status", byId("list-status-select").value);
      if (!more) byId("list-caption").textContent = what;
      say("list-status", body.childNodes.length === 0 ? (search !== undefined ? "No request matches “" + search + "”." : "Nothing here.")
        : count(body.childNodes.length, "request", "requests") + " shown.");
      if (search !== undefined && (data.requests || []).length === 1) openRequest(data.requests[0].id);
    }).catch(function (err) { say("list-status", err.message, true); });
  }
  byId("list-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadList(false); });
  byId("find-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = byId("find-q").value.trim();
    if (!q) { say("list-status", "Type an order number, a client's email, a request ID or a refund reference.", true); byId("find-q").focus(); return; }
    loadList(false, q);
  });
  byId("list-more").addEventListener("click", function () { loadList(true); });

  // --- request detail ------------------------------------------------------------------------
  var current = null;

  function definitionList(pairs) {
    var dl = el("dl", { "class": "summary-list" });
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "") return;
      dl.appendChild(el("div", null, el("dt", null, p[0]), el("dd", null, typeof p[1] === "object" ? p[1] : String(p[1]))));
    });
    return dl;
  }

  // table builds a data table; the columns listed in numeric (indexes) hold amounts, which align
  // right and never break inside.
  function table(caption, heads, rows, numeric) {
    var isNum = function (i) { return (numeric || []).indexOf(i) >= 0; };
    var thead = el("tr");
    heads.forEach(function (h, i) { thead.appendChild(el("th", { scope: "col", "class": isNum(i) ? "num" : null }, h)); });
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (v, i) {
        var c = cell(i === 0 ? "th" : "td", v);
        c.setAttribute("data-label", heads[i]);
        if (isNum(i)) c.className = "num";
        tr.appendChild(c);
      });
      tbody.appendChild(tr);
    });
    // Every detail table follows a heading that names it, so its caption is for screen readers only.
    return el("div", { "class": "table-scroll" }, el("table", { "class": "data-table stack-table" }, el("caption", { "class": "visually-hidden" }, caption), el("thead", null, thead), tbody));
  }

  // openRequest shows a request's detail and returns a promise of its data (null when it failed).
  // keepStatus keeps the review status line, for a refresh after a decision.
  function openRequest(id, keepStatus) {
    if (!keepStatus) say("review-status", "");
    return call("GET", "/requests/" + encodeURIComponent(id)).then(function (data) {
      current = data;
      var r = data.request || {};
      var box = byId("detail-body");
      clear(box);
      byId("detail-title").textContent = "Request " + (r.id || id);
      box.appendChild(definitionList([
        ["Status", words("status", r.status)], ["Order", r.order_number], ["Kind", words("kind", r.kind)], ["Reason", words("reason", r.reason)],
        ["Details", r.details], ["Created", whenNode(r.created_at)], ["In this status since", el("span", null, age(r.updated_at) + ", since ", whenNode(r.updated_at))],
        ["Policy", r.policy_version]
      ]));
      box.appendChild(el("h3", null, "Order"));
      var o = data.order;
      if (o) {
        var m = function (amount) { return money({ amount: amount || 0, currency: o.currency }); };
        box.appendChild(definitionList([
          ["Customer", o.customer_name], ["Email", o.email], ["Purchase date", o.purchase_date],
          ["Service", words("service", o.service && o.service.type)], ["Card", o.payment && o.payment.card_hint ? "ending " + o.payment.card_hint : ""],
          ["Paid", m(o.paid)], ["Refunded", m(o.refunded)]
        ].concat(o.charged_back ? [["Returned by the client's bank (lost dispute)", m(o.charged_back)]] : []).concat([
          ["Remaining", data.remaining ? money(data.remaining) : m((o.paid || 0) - (o.refunded || 0) - (o.charged_back || 0))]
        ])));
      } else {
        box.appendChild(el("p", null, "The billing system has not sent this order."));
      }
      if ((data.review_reasons || []).length) {
        box.appendChild(el("h3", null, r.status === "in_review" ? "Why it needs review" : "Why it went to review"));
        var ul = el("ul");
        data.review_reasons.forEach(function (s) { ul.appendChild(el("li", null, s)); });
        box.appendChild(ul);
      }
      if ((data.findings || []).length) {
        box.appendChild(el("h3", null, "Verification"));
        box.appendChild(table("Checks", ["Result", "Finding"], data.findings.map(function (f) {
          return [f.passed ? "Passed" : "Failed", finding(f)];
        })));
      }
      if ((data.offers || []).length) {
        box.appendChild(el("h3", null, "Offers"));
        box.appendChild(table("Offers", ["Offer", "Amount", "Terms"], data.offers.map(function (o) {
          return [words("offer", o.kind), money(o.amount), o.terms];
        }), [1]));
      }
      var c = data.consent;
      if (c) {
        box.appendChild(el("h3", null, "Client's answer"));
        box.appendChild(definitionList([
          ["Decision", words("decision", c.decision)], ["Offer", c.offer_id], ["Signed as", c.typed_name],
          ["Reason for declining", c.decline_reason], ["When", whenNode(c.at)], ["From IP", c.ip], ["Browser", c.user_agent],
          ["Offer fingerprint (SHA-256)", c.offer_hash]
        ]));
      }
      if ((data.refunds || []).length) {
        box.appendChild(el("h3", null, "Refunds"));
        box.appendChild(table("Refunds", ["Attempt", "Amount", "State", "Provider refund"], data.refunds.map(function (f) {
          return [String(f.n), money(f.amount), words("state", f.state), f.provider_refund_id || f.failure_reason || ""];
        }), [1]));
      }
      if (data.credit) {
        box.appendChild(el("h3", null, "Credit"));
        box.appendChild(definitionList([["Amount", money(data.credit.amount)], ["Valid until", data.credit.valid_until]]));
      }
      box.appendChild(el("h3", null, "Audit trail"));
      // The timeline: the audit entries and the emails sent (subject as text), oldest first.
      var timeline = (data.audit || []).map(function (a) {
        var move = a.from || a.to ? words("status", a.from) + " → " + words("status", a.to) : "";
        return { at: a.at, row: [whenNode(a.at), a.actor, words("action", a.action), move, a.detail] };
      }).concat((data.emails || []).map(function (m) {
        var to = m.kind && m.kind.indexOf("staff_") === 0 ? "Email to staff" : "Email to the client";
        return { at: m.sent_at, row: [whenNode(m.sent_at), "Refundflow", to, "", m.subject] };
      }));
      timeline.sort(function (x, y) { return new Date(x.at).getTime() - new Date(y.at).getTime(); });
      box.appendChild(table("Audit trail and emails sent, oldest first", ["When", "Actor", "Action", "Status", "Detail"],
        timeline.map(function (t) { return t.row; })));
      buildReview(r, data.offers || []);
      buildProposal(data);
      // The open request, for a draft kept when the session ends (its form is put back here).
      root.setAttribute("data-open", r.id || id);
      session.restoreDraft();
      var detail = byId("detail");
      var wasHidden = detail.hidden;
      detail.hidden = false;
      if (!keepStatus || wasHidden) detail.focus();
      return data;
    }).catch(function (err) { say("list-status", err.message, true); return null; });
  }

  function buildReview(r, offers) {
    var form = byId("review-form");
    form.hidden = r.status !== "in_review";
    var box = byId("review-offers");
    clear(box);
    byId("review-message").value = "";
    byId("review-confirm").hidden = true;
    // Nothing is preselected: the member of staff chooses each time.
    Array.prototype.forEach.call(document.querySelectorAll("input[name='review-decision']"), function (x) { x.checked = false; });
    byId("review-adjust-box").hidden = true;
    offers.forEach(function (o, i) {
      var keepId = "adjust-keep-" + i, amountId = "adjust-amount-" + i;
      var keep = el("input", { type: "checkbox", id: keepId, checked: "checked" });
      var amount = el("input", { type: "text", id: amountId, inputmode: "decimal", value: o.amount ? decimal(o.amount) : "0" });
      keep.dataset.offer = String(i);
      amount.dataset.offer = String(i);
      box.appendChild(el("div", { "class": "offer-edit" },
        el("div", { "class": "choice" }, keep, el("label", { "for": keepId }, "Keep the " + words("offer", o.kind).toLowerCase() + ", now " + money(o.amount))),
        el("div", { "class": "field" }, el("label", { "for": amountId }, "New amount of the " + words("offer", o.kind).toLowerCase() + ", in " + (o.amount ? o.amount.currency : "")), amount)));
    });
  }

  byId("review-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!current || !current.request) return;
    var decision = (document.querySelector("input[name='review-decision']:checked") || {}).value || "";
    if (!decision) { say("review-status", "Choose a decision.", true); byId("review-approve").focus(); return; }
    var body = { decision: decision, message: byId("review-message").value.trim() };
    if (decision === "reject" && !body.message) {
      say("review-status", "Write a message to the client when rejecting.", true);
      byId("review-message").focus();
      return;
    }
    if (decision === "adjust") {
      body.offers = [];
      (current.offers || []).forEach(function (o, i) {
        if (!byId("adjust-keep-" + i).checked) return;
        body.offers.push({ id: o.id, kind: o.kind, amount: byId("adjust-amount-" + i).value.trim() });
      });
      if (!body.offers.length) { say("review-status", "Keep at least one offer, or reject.", true); return; }
    }
    askConfirmation(body, ev.submitter || byId("review-form").querySelector("button[type=submit]"));
  });

  // askConfirmation repeats the client's name, the order, the outcome and the amount (for an
  // adjustment, the new amounts) before anything is sent; pending is what Confirm sends. The step is a
  // (non-modal) dialog that takes the focus when it opens; Go back or Escape closes it and gives the
  // focus back to opener, the button that opened it, so a keyboard user carries on where they were.
  var pending = null, opener = null;
  function askConfirmation(body, from) {
    var o = current.order || {}, r = current.request || {};
    var cur = o.currency || (current.offers[0] && current.offers[0].amount && current.offers[0].amount.currency) || "";
    var lines = [];
    var who = (o.customer_name || "the client") + ", order " + r.order_number;
    if (body.decision === "reject") {
      lines.push("Reject the request of " + who + ": nothing is refunded, and the client gets your message.");
    } else if (body.decision === "confirm") {
      var p = current.proposal;
      lines.push("Confirm " + p.actor + "'s decision for " + who + ": " + words("decision", p.decision).toLowerCase() + ", up to " + money(p.amount) + ".");
      (p.offers && p.offers.length ? p.offers : current.offers).forEach(function (x) { lines.push("• " + words("offer", x.kind) + ": " + money(x.amount)); });
    } else {
      lines.push((body.decision === "adjust" ? "Send these adjusted offers to " : "Send these offers to ") + who + ":");
      if (body.decision === "adjust") {
        body.offers.forEach(function (x) {
          var orig = current.offers.filter(function (y) { return y.id === x.id; })[0] || {};
          lines.push("• " + words("offer", orig.kind) + ": " + cur + " " + x.amount + " (was " + money(orig.amount) + ")");
        });
      } else {
        current.offers.forEach(function (x) { lines.push("• " + words("offer", x.kind) + ": " + money(x.amount)); });
      }
      if (current.four_eyes_limit) lines.push("Above " + money(current.four_eyes_limit) + " a second member of staff must confirm before the client gets them.");
    }
    var box = byId("review-confirm-body");
    clear(box);
    // The offers ("• ...") are a list, which a screen reader announces with its length.
    var list = null;
    lines.forEach(function (l) {
      if (l.indexOf("• ") !== 0) { list = null; box.appendChild(el("p", null, l)); return; }
      if (!list) list = box.appendChild(el("ul"));
      list.appendChild(el("li", null, l.slice(2)));
    });
    pending = body;
    opener = from || null;
    byId("review-confirm").hidden = false;
    byId("review-confirm").focus();
  }
  function goBack() {
    if (byId("review-confirm").hidden) return;
    pending = null;
    byId("review-confirm").hidden = true;
    say("review-status", "Nothing was sent.");
    if (opener && document.body.contains(opener)) opener.focus();
  }
  byId("review-confirm-no").addEventListener("click", goBack);
  byId("review-confirm").addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); goBack(); }
  });
  byId("review-confirm-yes").addEventListener("click", function () {
    if (!pending || !current) return;
    var body = pending, id = current.request.id;
    pending = null;
    byId("review-confirm").hidden = true;
    // The dialog's buttons are gone: the focus goes to the line that says what became of the
    // decision (a live region too), not back to the top of the page.
    byId("review-status").focus();
    say("review-status", "Saving…");
    call("POST", "/requests/" + encodeURIComponent(id) + "/review", body).then(function (answer) {
      // When the workflow could not be reached, or a second person must confirm, the API says so.
      say("review-status", (answer && answer.message) || "Decision recorded.");
      refreshAfterDecision(id, answer && answer.awaiting_confirmation ? 1 : 10);
    }).catch(function (err) { say("review-status", err.message, true); });
  });

  // buildProposal shows a decision waiting for a second member of staff, with a button to confirm it.
  function buildProposal(data) {
    var old = byId("proposal-box");
    if (old) old.parentNode.removeChild(old);
    var p = data.proposal;
    if (!p || !data.request || data.request.status !== "in_review") return;
    var btn = el("button", { type: "button", "class": "button", id: "proposal-confirm" }, "Confirm as second member of staff…");
    btn.addEventListener("click", function () { askConfirmation({ decision: "confirm", message: "" }, btn); });
    var box = el("div", { id: "proposal-box", "class": "notice" },
      el("h3", null, "Waiting for a second member of staff"),
      el("p", null, p.actor + " proposed to " + words("decision", p.decision).toLowerCase() + " (up to " + money(p.amount) + ") on ", whenNode(p.at),
        ". Another member of staff must confirm it; the person who proposed cannot."),
      btn);
    var form = byId("review-form");
    form.parentNode.insertBefore(box, form);
  }

  // refreshAfterDecision shows the request and the list again once the workflow has moved the request
  // on: an approval takes effect when the workflow sends the offers, a moment after the API answered.
  // It looks again a few times while the request still shows as in review.
  function refreshAfterDecision(id, tries) {
    openRequest(id, true).then(function (data) {
      var inReview = data && data.request && data.request.status === "in_review";
      if (inReview && tries > 1) {
        setTimeout(function () { refreshAfterDecision(id, tries - 1); }, 500);
        return;
      }
      loadList(false);
    });
  }
  // The first view, once signed in: the work waiting for staff.
  session.ready.then(function () { loadList(false); });

  // The adjustment fields matter only for the "adjust" decision.
  Array.prototype.forEach.call(document.querySelectorAll("input[name='review-decision']"), function (r) {
    r.addEventListener("change", function () { byId("review-adjust-box").hidden = !byId("review-adjust").checked; });
  });

  // --- feedback ------------------------------------------------------------------------------
  byId("feedback-load").addEventListener("click", function () {
    say("feedback-status", "Loading…");
    call("GET", "/feedback").then(function (data) {
      var body = byId("feedback-body");
      clear(body);
      (data.feedback || []).forEach(function (f) {
        body.appendChild(el("tr", null, td("Request", f.request_id), td("Rating", f.rating), td("Comment", f.comment), td("Date", whenNode(f.created_at))));
      });
      byId("feedback-table").hidden = body.childNodes.length === 0;
      say("feedback-status", body.childNodes.length === 0 ? "No feedback yet." : count(body.childNodes.length, "answer", "answers") + ".");
    }).catch(function (err) { say("feedback-status", err.message, true); });
  });

  // --- a request named in the address ----------------------------------------------------------
  // Staff emails link to /staff?request=<id>: open that request once signed in (the address is read
  // then: the sign-in puts it back after its round trip). What was typed is put back once signed in.
  session.ready.then(function () {
    var wanted = "";
    try { wanted = new URLSearchParams(window.location.search).get("request") || ""; } catch (e) { wanted = ""; }
    session.restoreDraft();
    if (wanted) openRequest(wanted);
  });
})();
