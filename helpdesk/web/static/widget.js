/* Helpdesk website chat. One script, no framework, nothing loaded from anywhere else.
   <script src="https://HELPDESK/widget.js" data-helpdesk="KEY" async></script>
   Optional: data-user-id and data-user-hash (HMAC-SHA256 of the id with the chat's secret)
   for signed-in users; data-mode="page" fills the page (Helpdesk's own /chat).
   Everything is drawn in a shadow root, so the site's CSS does not reach it, and every
   text is set with textContent, never as HTML. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.dataset.helpdesk) return;
  var base = new URL(me.src).origin;
  var key = me.dataset.helpdesk;
  var pageMode = me.dataset.mode === "page";
  var userId = me.dataset.userId || "", userHash = me.dataset.userHash || "";
  var store = "helpdesk-visitor-" + key;
  var visitor = null;
  try { visitor = localStorage.getItem(store); } catch (e) { /* storage blocked: this visit only */ }
  if (!visitor) {
    var bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    visitor = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    try { localStorage.setItem(store, visitor); } catch (e) { /* ignore */ }
  }
  var who = "visitor=" + encodeURIComponent(visitor) +
    (userId ? "&user_id=" + encodeURIComponent(userId) + "&user_hash=" + encodeURIComponent(userHash) : "");
  var api = base + "/widget/" + encodeURIComponent(key);

  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;",
    "background:#2457c5;color:#fff;font-size:16px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launch:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f4b400;outline-offset:2px}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);",
    "height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#f4f5f7;color:#1d2330;",
    "border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;font-size:15px;line-height:1.45}",
    ".page .panel{position:static;width:auto;max-width:680px;height:100vh;max-height:none;margin:0 auto;border-radius:0;box-shadow:none}",
    ".page .launch,.page .close{display:none}",
    "header{background:#2457c5;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}",
    "header strong{flex:1;font-size:16px}.logo{height:26px;border-radius:4px;background:#fff}.logo[hidden]{display:none}",
    ".close{background:transparent;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}",
    ".log{flex:1;overflow-y:auto;padding:12px}",
    ".msg{max-width:85%;margin:8px 0;padding:9px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff}",
    ".mine{margin-left:auto;background:#dbe7ff}",
    ".who{display:block;font-size:12px;color:#5b6475;margin-bottom:2px}",
    ".hint{color:#5b6475;font-size:13px;margin:6px 0}",
    "form{padding:10px;background:#fff;border-top:1px solid #e1e4ea;display:flex;flex-direction:column;gap:6px}",
    "textarea{width:100%;min-height:64px;resize:vertical;padding:8px;border:1px solid #c5cad3;border-radius:10px;font-size:15px}",
    "input{width:100%;padding:7px 8px;border:1px solid #c5cad3;border-radius:10px;font-size:14px}",
    ".send{align-self:flex-end;border:0;border-radius:10px;background:#2457c5;color:#fff;padding:8px 18px;font-weight:600;font-size:15px;cursor:pointer}",
    ".error{color:#a4161a;font-size:13px;margin:0}.error:empty{display:none}",
    ".links{padding:0 12px;margin:4px 0 8px}",
    ".status{margin:0;padding:8px 14px;background:#eef3ff;color:#1d2330;font-size:13px}.status:empty{display:none}",
    ".seen{text-align:right;color:#5b6475;font-size:12px;margin:0 0 4px}.seen[hidden]{display:none}",
    "a{color:#2457c5}.file{display:block;margin-top:6px;overflow-wrap:anywhere}"
  ].join("");

  var host = document.createElement("div");
  host.setAttribute("data-helpdesk-chat", "");
  var root = host.attachShadow({ mode: "open" });  // open: screen readers and tests see in; styles still do not
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  var wrap = el("div", { "class": pageMode ? "page" : "" });
  var launch = el("button", { "class": "launch", type: "button", "aria-expanded": "false", "aria-controls": "hd-panel" }, "Chat with us");
  var panel = el("section", { "class": "panel", id: "hd-panel", role: "dialog", "aria-label": "Chat" });
  var header = el("header");
  var logo = el("img", { "class": "logo", alt: "" });
  logo.hidden = true;
  var title = el("strong", {}, "Chat");
  var close = el("button", { "class": "close", type: "button", "aria-label": "Close the chat" }, "\u00d7");
  header.appendChild(logo); header.appendChild(title); header.appendChild(close);
  var status = el("p", { "class": "status", "aria-live": "polite" });
  var log = el("div", { "class": "log", "aria-live": "polite", "aria-label": "Messages" });
  var seen = el("p", { "class": "seen" }, "Seen");
  var typing = el("p", { "class": "seen", "aria-live": "polite" });
  typing.hidden = true;
  var typingTimer = null;
  seen.hidden = true;
  var hint = el("p", { "class": "hint" }, "Write your question: we answer here, and you can come back to it any time.");
  log.appendChild(hint);
  var form = el("form");
  var label = el("label", { "for": "hd-body", "class": "hint" }, "Your message");
  var body = el("textarea", { id: "hd-body", maxlength: "10000", required: "" });
  var email = el("input", { type: "email", id: "hd-email", maxlength: "254", placeholder: "Your email (optional): we'll also answer there", "aria-label": "Your email (optional)" });
  var files = el("input", { type: "file", multiple: "", "aria-label": "Add photos or files", accept: "image/*,application/pdf,.txt,.doc,.docx" });
  var error = el("p", { "class": "error", role: "alert" });
  var send = el("button", { "class": "send", type: "submit" }, "Send");
  var link = el("p", { "class": "hint links" });
  [label, body, email, files, error, send].forEach(function (n) { form.appendChild(n); });
  panel.appendChild(header); panel.appendChild(status); panel.appendChild(log); panel.appendChild(link);
  panel.appendChild(form);
  wrap.appendChild(launch); wrap.appendChild(panel);
  root.appendChild(wrap);
  panel.hidden = !pageMode;

  var shown = {}, last = 0, lastMine = false, source = null;
  function add(m) {
    if (shown[m.id]) return;
    shown[m.id] = true;
    if (m.id > last) { last = m.id; lastMine = m.mine; }
    hint.hidden = true;
    var item = el("div", { "class": "msg" + (m.mine ? " mine" : "") });
    item.appendChild(el("span", { "class": "who" }, m.who + " \u00b7 " + new Date(m.at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })));
    item.appendChild(document.createTextNode(m.body));
    (m.files || []).forEach(function (f) {
      var file = el("a", { href: f.url, target: "_blank", rel: "noopener", "class": "file" }, "\ud83d\udcce " + f.name);
      item.appendChild(file);
    });
    log.appendChild(item);
    log.appendChild(seen);  // always under the last message
    log.appendChild(typing);
    typing.hidden = true;
    log.scrollTop = log.scrollHeight;
  }
  function showThread(data) {
    if (data.team) title.textContent = data.team;
    if (data.logo && !logo.src) { logo.src = data.logo; logo.hidden = false; }
    status.textContent = data.status === "resolved"
      ? "Resolved. Write again any time; how did we do? Rate us on your conversation page."
      : [data.hours, data.promise].filter(Boolean).join(" \u00b7 ");
    seen.hidden = !(data.seen && lastMine);  // "Seen" belongs under the visitor's own last message
    (data.messages || []).forEach(add);
    if (data.link) {
      link.textContent = "";
      link.appendChild(document.createTextNode("On another device? "));
      var a = el("a", { href: data.link, target: "_blank", rel: "noopener" }, "Open this conversation");
      link.appendChild(a);
    }
    if (data.earlier && data.earlier.length) {
      link.appendChild(el("br"));
      link.appendChild(document.createTextNode("Earlier: "));
      data.earlier.forEach(function (e, i) {
        if (i) link.appendChild(document.createTextNode(" \u00b7 "));
        link.appendChild(el("a", { href: e.link, target: "_blank", rel: "noopener" }, e.title));
      });
    }
    if (data.conversation_id && !source) listen();
  }
  function listen() {
    if (!window.EventSource) return;
    source = new EventSource(api + "/events?" + who + "&after=" + last);
    source.addEventListener("typing", function (e) {
      typing.textContent = JSON.parse(e.data).who + " is typing\u2026";
      typing.hidden = false;
      log.appendChild(typing);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 6000);
    });
    source.addEventListener("message", function (e) {
      add(JSON.parse(e.data));
      load();  // the promise and "seen" change when the team answers
    });
  }
  function load() {
    fetch(api + "/thread?" + who, { credentials: "omit" }).then(function (r) { return r.json(); })
      .then(showThread).catch(function () { /* offline: the form still works when it is back */ });
  }
  function open(yes) {
    panel.hidden = !yes;
    launch.setAttribute("aria-expanded", String(yes));
    if (yes) body.focus(); else launch.focus();
  }
  launch.addEventListener("click", function () { open(panel.hidden); });
  close.addEventListener("click", function () { open(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape" && !pageMode) open(false); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = body.value.trim();
    if (!text && !files.files.length) return;
    send.disabled = true;
    error.textContent = "";
    var message = JSON.stringify({ body: text, email: email.value.trim() });
    var request = { method: "POST", credentials: "omit" };
    if (files.files.length) {  // photos and files go as multipart, the text as its JSON part
      var data = new FormData();
      data.append("message", message);
      Array.prototype.forEach.call(files.files, function (f) { data.append("files", f, f.name); });
      request.body = data;
    } else {
      request.headers = { "Content-Type": "application/json" };
      request.body = message;
    }
    fetch(api + "/messages?" + who, request).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || "Not sent");
        body.value = "";
        files.value = "";
        showThread(data);
      });
    }).catch(function (err) {
      error.textContent = "Not sent: " + err.message + ". Your text is still here.";
    }).then(function () { send.disabled = false; });
  });
  function start() {
    if (pageMode) document.body.style.margin = "0";  // the chat is the page (Helpdesk's own /chat)
    document.body.appendChild(host);
    load();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
