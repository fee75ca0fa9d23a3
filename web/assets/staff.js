// Refundflow staff console. Talks to the staff JSON API with a bearer token kept in sessionStorage.
// Every piece of data reaches the page through textContent or setAttribute on elements this script
// creates, never by parsing strings as HTML, so nothing a client typed can become markup or script.
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var api = root.getAttribute("data-api") || "/staff/api";
  var TOKEN_KEY = "refundflow.staffToken";
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

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  // call sends one request to the staff API and returns the decoded JSON, or throws an Error whose
  // message is the API's own error message.
  function call(method, path, body) {
    var t = token();
    if (!t) return Promise.reject(new Error("Paste your access token first."));
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
        if (!resp.ok) {
          var msg = data && data.error && data.error.message ? data.error.message : "The server answered " + resp.status + ".";
          if (resp.status === 401) msg += " Check or renew your token.";
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

  function when(s) {
    if (!s) return "";
    var d = new Date(s);
    return isNaN(d.getTime()) ? String(s) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
  }

  function cell(tag, text) { return el(tag, tag === "th" ? { scope: "row" } : null, text); }

  // --- token ---------------------------------------------------------------------------------
  function showTokenState() {
    say("token-status", token() ? "A token is set for this tab." : "No token set.");
  }
  byId("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var v = byId("token").value.trim().replace(/^Bearer\s+/i, "");
    if (!v) { say("token-status", "The token field is empty.", true); return; }
    try { sessionStorage.setItem(TOKEN_KEY, v); } catch (e) { say("token-status", "This browser does not allow storing the token.", true); return; }
    byId("token").value = "";
    showTokenState();
  });
  byId("token-forget").addEventListener("click", function () {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing stored */ }
    showTokenState();
  });
  showTokenState();

  // --- request list --------------------------------------------------------------------------
  var listCursor = "";
  function loadList(more) {
    var status = byId("list-status-select").value;
    var q = "?status=" + encodeURIComponent(status) + (more && listCursor ? "&cursor=" + encodeURIComponent(listCursor) : "");
    say("list-status", "Loading…");
    call("GET", "/requests" + q).then(function (data) {
      var body = byId("list-body");
      if (!more) clear(body);
      var rows = data.requests || [];
      rows.forEach(function (r) {
        var open = el("button", { type: "button", "class": "link-button" }, r.id);
        open.addEventListener("click", function () { openRequest(r.id); });
        body.appendChild(el("tr", null, el("td", null, open), el("td", null, r.order_number),
          el("td", null, r.kind), el("td", null, r.status), el("td", null, when(r.updated_at))));
      });
      listCursor = data.next || "";
      byId("list-more").hidden = !listCursor;
      byId("list-table").hidden = body.childNodes.length === 0;
      byId("list-caption").textContent = "Requests with status " + status;
      say("list-status", body.childNodes.length === 0 ? "No requests with this status." : count(body.childNodes.length, "request", "requests") + " shown.");
    }).catch(function (err) { say("list-status", err.message, true); });
  }
  byId("list-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadList(false); });
  byId("list-more").addEventListener("click", function () { loadList(true); });

  // --- request detail ------------------------------------------------------------------------
  var current = null;

  function definitionList(pairs) {
    var dl = el("dl", { "class": "summary-list" });
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "") return;
      dl.appendChild(el("div", null, el("dt", null, p[0]), el("dd", null, String(p[1]))));
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
        if (isNum(i)) c.className = "num";
        tr.appendChild(c);
      });
      tbody.appendChild(tr);
    });
    // Every detail table follows a heading that names it, so its caption is for screen readers only.
    return el("div", { "class": "table-scroll" }, el("table", { "class": "data-table" }, el("caption", { "class": "visually-hidden" }, caption), el("thead", null, thead), tbody));
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
        ["Status", r.status], ["Order", r.order_number], ["Kind", r.kind], ["Reason", r.reason],
        ["Details", r.details], ["Created", when(r.created_at)], ["Updated", when(r.updated_at)],
        ["Policy", r.policy_version]
      ]));
      box.appendChild(el("h3", null, "Order"));
      var o = data.order;
      if (o) {
        var m = function (amount) { return money({ amount: amount || 0, currency: o.currency }); };
        box.appendChild(definitionList([
          ["Customer", o.customer_name], ["Email", o.email], ["Purchase date", o.purchase_date],
          ["Service", o.service && o.service.type], ["Card", o.payment && o.payment.card_hint ? "ending " + o.payment.card_hint : ""],
          ["Paid", m(o.paid)], ["Refunded", m(o.refunded)],
          ["Remaining", data.remaining ? money(data.remaining) : m((o.paid || 0) - (o.refunded || 0))]
        ]));
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
        box.appendChild(table("Checks", ["Check", "Result", "Message"], data.findings.map(function (f) {
          return [f.code, f.passed ? "passed" : "failed", f.message];
        })));
      }
      if ((data.offers || []).length) {
        box.appendChild(el("h3", null, "Offers"));
        box.appendChild(table("Offers", ["Offer", "Kind", "Amount", "Terms"], data.offers.map(function (o) {
          return [o.id, o.kind, money(o.amount), o.terms];
        }), [2]));
      }
      var c = data.consent;
      if (c) {
        box.appendChild(el("h3", null, "Client's answer"));
        box.appendChild(definitionList([
          ["Decision", c.decision], ["Offer", c.offer_id], ["Signed as", c.typed_name],
          ["Reason for declining", c.decline_reason], ["When", when(c.at)]
        ]));
      }
      if ((data.refunds || []).length) {
        box.appendChild(el("h3", null, "Refunds"));
        box.appendChild(table("Refunds", ["Attempt", "Amount", "State", "Provider refund"], data.refunds.map(function (f) {
          return [String(f.n), money(f.amount), f.state, f.provider_refund_id || f.failure_reason || ""];
        }), [1]));
      }
      if (data.credit) {
        box.appendChild(el("h3", null, "Credit"));
        box.appendChild(definitionList([["Amount", money(data.credit.amount)], ["Valid until", data.credit.valid_until]]));
      }
      box.appendChild(el("h3", null, "Audit trail"));
      box.appendChild(table("Audit trail, oldest first", ["When", "Actor", "Action", "Status", "Detail"], (data.audit || []).map(function (a) {
        var move = a.from || a.to ? (a.from || "") + " → " + (a.to || "") : "";
        return [when(a.at), a.actor, a.action, move, a.detail];
      })));
      buildReview(r, data.offers || []);
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
    byId("review-adjust-box").hidden = !byId("review-adjust").checked;
    offers.forEach(function (o, i) {
      var keepId = "adjust-keep-" + i, amountId = "adjust-amount-" + i;
      var keep = el("input", { type: "checkbox", id: keepId, checked: "checked" });
      var amount = el("input", { type: "text", id: amountId, inputmode: "decimal", value: o.amount ? decimal(o.amount) : "0" });
      keep.dataset.offer = String(i);
      amount.dataset.offer = String(i);
      box.appendChild(el("div", { "class": "offer-edit" },
        el("div", { "class": "choice" }, keep, el("label", { "for": keepId }, "Keep " + o.kind + " (" + o.id + "), now " + money(o.amount))),
        el("div", { "class": "field" }, el("label", { "for": amountId }, "Amount in " + (o.amount ? o.amount.currency : "")), amount)));
    });
  }

  byId("review-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!current || !current.request) return;
    var decision = (document.querySelector("input[name='review-decision']:checked") || {}).value || "approve";
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
    say("review-status", "Saving…");
    var id = current.request.id;
    call("POST", "/requests/" + encodeURIComponent(id) + "/review", body).then(function (answer) {
      // When the workflow could not be reached, the API says when it resumes; show that instead.
      say("review-status", (answer && answer.delivered === false && answer.message) || "Decision recorded.");
      refreshAfterDecision(id, 10);
    }).catch(function (err) { say("review-status", err.message, true); });
  });

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
        body.appendChild(el("tr", null, cell("th", f.request_id), cell("td", f.rating), cell("td", f.comment), cell("td", when(f.created_at))));
      });
      byId("feedback-table").hidden = body.childNodes.length === 0;
      say("feedback-status", body.childNodes.length === 0 ? "No feedback yet." : count(body.childNodes.length, "answer", "answers") + ".");
    }).catch(function (err) { say("feedback-status", err.message, true); });
  });

  // --- a request named in the address ----------------------------------------------------------
  // Staff emails link to /staff?request=<id>: open that request once a token is set.
  var wanted = "";
  try { wanted = new URLSearchParams(window.location.search).get("request") || ""; } catch (e) { wanted = ""; }
  function openWanted() {
    if (!wanted) return;
    if (!token()) { say("list-status", "Use your token to open request " + wanted + "."); return; }
    var id = wanted;
    wanted = "";
    openRequest(id);
  }
  byId("token-form").addEventListener("submit", openWanted);
  openWanted();
})();
