// Refundflow sandbox payments (GET /sandbox/payments, a deployment with PaymentProvider=sandbox only):
// takes a card payment at the sandbox provider through POST /sandbox/payments with the billing system's
// token, which the person pastes (it is kept in this page only, never stored), and shows the payment's
// reference with the order command to send next. Every value reaches the page through textContent.
(function () {
  "use strict";

  var root = document.getElementById("sandbox-payments");
  if (!root) return;
  var byId = function (id) { return document.getElementById(id); };
  var path = root.getAttribute("data-path") || "/sandbox/payments";

  function say(text) { byId("take-status").textContent = text; }

  function orderCommand(p) {
    var number = "RF-" + p.reference.replace(/[^A-Za-z0-9]/g, "").slice(-8).toUpperCase();
    var today = new Date().toISOString().slice(0, 10);
    return "curl -X PUT " + location.origin + "/staff/api/orders/" + number + " \\\n" +
      "  -H \"Authorization: Bearer $BILLING_TOKEN\" -H 'Content-Type: application/json' -d '{\n" +
      "  \"number\": \"" + number + "\", \"customer_name\": \"Barbara Liskov\", \"email\": \"barbara@example.com\",\n" +
      "  \"purchase_date\": \"" + today + "\", \"currency\": \"" + p.currency + "\", \"paid\": " + p.amount + ",\n" +
      "  \"payment\": {\"reference\": \"" + p.reference + "\"},\n" +
      "  \"status\": \"active\",\n" +
      "  \"service\": {\"type\": \"hours\", \"hours\": {\"purchased\": 10, \"used\": 0, \"total_price\": " + p.amount + "}},\n" +
      "  \"version\": 0}'";
  }

  byId("take-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var token = byId("token").value.trim();
    var amount = parseInt(byId("amount").value, 10);
    if (!token) { say("Paste the billing system's access token first."); return; }
    if (!(amount > 0)) { say("Enter the amount in minor units, such as 180000."); return; }
    var body = {
      amount: amount,
      currency: byId("currency").value.trim().toUpperCase(),
      card_last4: byId("card_last4").value.trim() || undefined,
      three_d_secure: byId("three_d_secure").checked,
      captured: byId("captured").checked
    };
    say("Taking the payment…");
    fetch(path, {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { resp: resp, data: data }; });
    }).then(function (r) {
      if (r.resp.status === 401) { say("The token was refused (expired, or not the billing system's): get a new one."); return; }
      if (!r.resp.ok) {
        say((r.data && r.data.error && r.data.error.message) || ("The payment was not taken (" + r.resp.status + ")."));
        return;
      }
      byId("taken-reference").textContent = r.data.reference;
      byId("taken-order").textContent = orderCommand(r.data);
      byId("taken").hidden = false;
      say("Payment " + r.data.reference + " taken.");
    }).catch(function () { say("The site could not be reached; try again."); });
  });
})();
