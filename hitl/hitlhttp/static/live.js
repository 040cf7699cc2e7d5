// Live view of a revision being written, for the hitlhttp review page.
// The page works without it (it reloads itself in a <noscript> refresh);
// with it, the model's text appears as it is generated. It reads the
// review's Server-Sent Events (same origin), writes text only through
// textContent, and reloads the page when the new version exists.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) {
    return;
  }
  var text = document.getElementById("live-text");
  var note = document.getElementById("live-status");
  var source = live.getAttribute("data-source");
  var statusURL = live.getAttribute("data-status");
  var call = live.getAttribute("data-call") || "";

  function say(msg) {
    note.textContent = msg;
  }
  function parse(e) {
    try {
      return JSON.parse(e.data);
    } catch (err) {
      return null;
    }
  }
  var attempt = parseInt(live.getAttribute("data-attempt") || "0", 10);

  // An event of another call starts a new answer; a later attempt of the
  // same call replaces the text; a late event of an earlier attempt is
  // stale. It returns false for a stale event.
  function follow(ev) {
    var a = ev.attempt || 0;
    if (ev.call !== call) {
      text.textContent = "";
      call = ev.call;
      attempt = a;
    } else if (a > attempt) {
      text.textContent = "";
      attempt = a;
    }
    return a >= attempt;
  }

  var es = new EventSource(source);
  text.setAttribute("aria-busy", "true");
  es.addEventListener("delta", function (e) {
    var ev = parse(e);
    if (!ev || !follow(ev)) {
      return;
    }
    text.appendChild(document.createTextNode(ev.text || ""));
    say("Writing…");
  });
  es.addEventListener("reset", function (e) {
    var ev = parse(e);
    if (!ev || !follow(ev)) {
      return;
    }
    text.textContent = "";
    say("The model is trying again (" + (ev.reason || "retry") + ")…");
  });
  es.addEventListener("failed", function (e) {
    var ev = parse(e);
    say("This attempt failed" + (ev && ev.reason ? ": " + ev.reason : "") + ". It may be retried.");
  });
  es.addEventListener("end", function () {
    say("Written. Loading the new version…");
    done();
  });
  es.addEventListener("closed", function () {
    done();
  });

  // The page reloads once the review has its new version (or ended): at
  // once after the answer's end marker, and every two seconds anyway (a
  // call that streams nothing, a stream that lags).
  var every = 2000;
  var polls = 0;
  var timer = null;
  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function done() {
    es.close();
    text.setAttribute("aria-busy", "false");
    every = 700;
    later(0);
  }
  function poll() {
    if (polls++ > 600) {
      say("The new version is taking long. Reload the page to see it.");
      return;
    }
    fetch(statusURL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (rv) {
        var phase = rv && rv.status && rv.status.phase;
        if (phase && phase !== "revising" && phase !== "drafting") {
          // The same view, without the notice of the decision just made.
          window.location.replace(window.location.href.replace(/([?&])done=[^&#]*&?/, "$1").replace(/[?&](#|$)/, "$1"));
          return;
        }
        later(every);
      })
      .catch(function () {
        later(2 * every);
      });
  }
  later(every);
})();
