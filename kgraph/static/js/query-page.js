/* The query page: run SPARQL against this server's endpoint and show the results.
 *
 * Works with the YASQE editor when the page loaded it (syntax highlighting), and with
 * the plain <textarea> otherwise; everything else (running, the results table with
 * labels and links to resource pages, errors with their position, downloads, the
 * shareable link, loading examples) is this script.  No inline script: the page hands
 * over its settings as JSON in <script type="application/json" id="query-config">.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("query-config").textContent);
  var messages = config.messages;
  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query-text");
  var statusBox = document.getElementById("query-status");
  var errorBox = document.getElementById("query-error");
  var resultsBox = document.getElementById("query-results");
  var shareLink = document.getElementById("share-link");
  var runButton = document.getElementById("run-button");
  var downloadButtons = Array.prototype.slice.call(document.querySelectorAll("[data-download]"));
  var editor = makeEditor();
  var running = null;
  var MAX_LABELLED = 2000;
  var MAX_DETAIL = 240;

  function msg(key, values) {
    var text = messages[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  /* -- the editor: YASQE when present, else the textarea -------------------------- */

  function makeEditor() {
    var Yasqe = window.Yasqe && (window.Yasqe.default || window.Yasqe);
    if (config.editor === "yasqe" && typeof Yasqe === "function") {
      var holder = document.createElement("div");
      holder.className = "yasqe-holder";
      textarea.parentNode.insertBefore(holder, textarea.nextSibling);
      textarea.hidden = true;
      var yasqe = new Yasqe(holder, {
        value: textarea.value,
        persistenceId: null,
        showQueryButton: false,
        autocompleters: ["variables"],
        prefixCcApi: null,
        createShareableLink: null,
        consumeShareLink: null,
        resizeable: true,
        editorHeight: "22rem",
        extraKeys: {
          "Ctrl-Enter": function () { run(); },
          "Cmd-Enter": function () { run(); },
          "Ctrl-Space": "autocomplete"
        }
      });
      predeclare(yasqe);
      yasqe.on("change", function () {
        textarea.value = yasqe.getValue();
        updateShareLink();
      });
      document.body.classList.add("editor-yasqe");
      return {
        kind: "yasqe",
        get: function () { return yasqe.getValue(); },
        set: function (text) { yasqe.setValue(text); textarea.value = text; },
        focus: function () { yasqe.focus(); },
        markError: function (line, col) {
          var pos = { line: line - 1, ch: Math.max(0, col - 1) };
          yasqe.focus();
          yasqe.setCursor(pos);
          if (this.mark) { this.mark.clear(); }
          var end = { line: pos.line, ch: pos.ch + 1 };
          this.mark = yasqe.markText(pos, end, { className: "query-error-mark" });
          yasqe.addLineClass(pos.line, "background", "query-error-line");
          this.errorLine = pos.line;
        },
        clearError: function () {
          if (this.mark) { this.mark.clear(); this.mark = null; }
          if (this.errorLine !== undefined) {
            yasqe.removeLineClass(this.errorLine, "background", "query-error-line");
            this.errorLine = undefined;
          }
        }
      };
    }
    document.body.classList.add("editor-plain");
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
    textarea.addEventListener("input", updateShareLink);
    return {
      kind: "plain",
      get: function () { return textarea.value; },
      set: function (text) { textarea.value = text; },
      focus: function () { textarea.focus(); },
      markError: function (line, col) {
        var lines = textarea.value.split("\n");
        var offset = 0;
        for (var i = 0; i < line - 1 && i < lines.length; i++) { offset += lines[i].length + 1; }
        offset += Math.max(0, col - 1);
        textarea.focus();
        textarea.setSelectionRange(offset, Math.min(offset + 1, textarea.value.length));
      },
      clearError: function () {}
    };
  }

  /* YASQE's SPARQL mode marks every prefix the query does not declare as an error.
   * The endpoint predeclares the dataset's prefixes, so tell the mode about them:
   * every tokenizer state starts with them (CodeMirror's mode.startState), then
   * re-tokenize the text. */
  function predeclare(yasqe) {
    try {
      var mode = yasqe.getMode();
      var start = mode.startState;
      mode.startState = function () {
        var state = start.apply(this, arguments);
        if (state && state.prefixes) {
          Object.keys(config.prefixes).forEach(function (prefix) {
            state.prefixes[prefix] = config.prefixes[prefix];
          });
        }
        return state;
      };
      yasqe.setValue(yasqe.getValue());
      if (typeof yasqe.checkSyntax === "function") { yasqe.checkSyntax(); }
    } catch (error) {
      /* an editor without the predeclared prefixes still works */
    }
  }

  /* -- what a query is ------------------------------------------------------------- */

  function stripNoise(text) {
    // Comments, strings and IRIs cannot hold keywords or prefixed names.
    return text
      .replace(/"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""')
      .replace(/<[^<>"{}|^`\\\s]*>/g, "<>")
      .replace(/#[^\n]*/g, "");
  }

  function queryForm(text) {
    var match = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(stripNoise(text));
    return match ? match[1].toUpperCase() : "SELECT";
  }

  /* Declare the dataset's prefixes that the query uses but does not declare.  The
   * endpoint may predeclare them too; declaring them again is harmless, and this way
   * error positions can be mapped back exactly (we know how many lines we added). */
  function withPrefixes(text) {
    var clean = stripNoise(text);
    var lines = [];
    Object.keys(config.prefixes).forEach(function (prefix) {
      var used = new RegExp("(^|[^\\w:?$\\-.])" + prefix + ":").test(clean);
      var declared = new RegExp("PREFIX\\s+" + prefix + ":", "i").test(clean);
      if (used && !declared) {
        lines.push("PREFIX " + prefix + ": <" + config.prefixes[prefix] + ">");
      }
    });
    return { text: lines.length ? lines.join("\n") + "\n" + text : text, added: lines.length };
  }

  /* -- running --------------------------------------------------------------------- */

  var RESULT_FORMATS = {
    csv: { accept: "text/csv", ext: "csv" },
    tsv: { accept: "text/tab-separated-values", ext: "tsv" },
    json: { accept: "application/sparql-results+json", ext: "json" }
  };
  var GRAPH_FORMATS = {
    csv: { accept: "text/turtle", ext: "ttl", label: "Turtle" },
    tsv: { accept: "application/n-triples", ext: "nt", label: "N-Triples" },
    json: { accept: "application/ld+json", ext: "jsonld", label: "JSON-LD" }
  };

  function post(text, accept) {
    return fetch(config.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "Accept": accept,
        "Accept-Language": config.lang
      },
      body: "query=" + encodeURIComponent(text)
    });
  }

  function run() {
    var text = editor.get();
    clearError();
    if (!text.trim()) {
      showStatus(msg("empty"));
      return;
    }
    var form = queryForm(text);
    var prepared = withPrefixes(text);
    var accept = form === "CONSTRUCT" || form === "DESCRIBE"
      ? "text/turtle"
      : "application/sparql-results+json";
    var started = performance.now();
    var ticket = {};
    running = ticket;
    runButton.disabled = true;
    document.body.classList.add("query-running");
    showStatus(msg("running"));
    updateShareLink(true);
    post(prepared.text, accept)
      .then(function (response) {
        return response.text().then(function (body) {
          return { response: response, body: body };
        });
      })
      .then(function (answer) {
        if (running !== ticket) { return null; }
        var elapsed = Math.round(performance.now() - started);
        if (!answer.response.ok) {
          showError(answer.response.status, answer.body, prepared.added);
          return null;
        }
        // The endpoint says so when it cut the results at its row limit.
        var truncated = answer.response.headers.get("X-SPARQL-MaxRows");
        if (accept === "text/turtle") {
          showGraph(answer.body, elapsed);
          return null;
        }
        return showResults(JSON.parse(answer.body), elapsed, truncated);
      })
      .catch(function () {
        if (running === ticket) { showError(0, msg("network"), 0); }
      })
      .then(function () {
        if (running === ticket) {
          running = null;
          runButton.disabled = false;
          document.body.classList.remove("query-running");
        }
      });
    setDownloadKind(form === "CONSTRUCT" || form === "DESCRIBE");
  }

  function showStatus(text) {
    statusBox.textContent = text;
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    editor.clearError();
  }

  function showError(status, body, addedLines) {
    resultsBox.textContent = "";
    showStatus("");
    errorBox.textContent = "";
    var heading = document.createElement("p");
    heading.className = "error-title";
    var detail = body.trim();
    var where = /error at (\d+):(\d+)/.exec(detail);
    var line = null, col = null;
    if (where) {
      line = parseInt(where[1], 10) - addedLines;
      col = parseInt(where[2], 10);
      detail = detail.replace(where[0], "error at " + line + ":" + col);
    }
    heading.textContent = where
      ? msg("syntax", { line: line, col: col })
      : msg("error") + (status ? " (HTTP " + status + ")" : "");
    errorBox.appendChild(heading);
    var pre = document.createElement("pre");
    pre.className = "error-detail";
    // A parser's "expected one of" list can run to many lines of character classes:
    // show its start, and the whole message on request.
    var short = detail.length > MAX_DETAIL ? detail.slice(0, MAX_DETAIL) + " …" : detail;
    pre.textContent = short;
    errorBox.appendChild(pre);
    if (short !== detail) {
      var more = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = msg("full_message");
      var full = document.createElement("pre");
      full.textContent = detail;
      more.appendChild(summary);
      more.appendChild(full);
      errorBox.appendChild(more);
    }
    if (where && line >= 1) {
      var source = editor.get().split("\n")[line - 1];
      if (source !== undefined) {
        var context = document.createElement("pre");
        context.className = "error-context";
        context.textContent = source + "\n" + " ".repeat(Math.max(0, col - 1)) + "^";
        errorBox.appendChild(context);
      }
      editor.markError(line, col);
    }
    errorBox.hidden = false;
  }

  function showGraph(turtle, elapsed) {
    resultsBox.textContent = "";
    var triples = turtle.split("\n").filter(function (l) { return /\s\.\s*$/.test(l); }).length;
    showStatus(msg("graph") + msg("time", { ms: elapsed }));
    var pre = document.createElement("pre");
    pre.className = "graph-result";
    pre.textContent = turtle;
    resultsBox.appendChild(pre);
    resultsBox.dataset.rows = String(triples);
  }

  function showResults(json, elapsed, truncated) {
    resultsBox.textContent = "";
    if (typeof json.boolean === "boolean") {
      showStatus((json.boolean ? msg("true") : msg("false")) + msg("time", { ms: elapsed }));
      resultsBox.dataset.rows = "1";
      return null;
    }
    var vars = json.head.vars || [];
    var rows = json.results.bindings || [];
    var count = rows.length === 1 ? msg("count_one") : msg("count", { n: rows.length });
    showStatus(count + msg("time", { ms: elapsed }) +
      (truncated ? " " + msg("truncated", { n: truncated }) : ""));
    resultsBox.dataset.rows = String(rows.length);
    if (!rows.length) {
      var none = document.createElement("p");
      none.textContent = msg("no_rows");
      resultsBox.appendChild(none);
      return null;
    }
    var table = document.createElement("table");
    table.className = "results";
    var head = table.createTHead().insertRow();
    var corner = document.createElement("th");
    corner.className = "num";
    corner.textContent = "#";
    head.appendChild(corner);
    vars.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = "?" + name;
      head.appendChild(th);
    });
    var body = table.createTBody();
    var links = {};
    rows.forEach(function (binding, i) {
      var tr = body.insertRow();
      var n = tr.insertCell();
      n.className = "num";
      n.textContent = String(i + 1);
      vars.forEach(function (name) {
        var cell = tr.insertCell();
        var term = binding[name];
        if (term) { cell.appendChild(renderTerm(term, links)); }
      });
    });
    resultsBox.appendChild(table);
    return addLabels(links);
  }

  /* -- terms ----------------------------------------------------------------------- */

  function localHref(iri) {
    if (iri.indexOf(config.base) === 0) {
      return config.root + "/" + iri.slice(config.base.length);
    }
    var spaces = config.localNamespaces;
    var best = null;
    Object.keys(spaces).forEach(function (ns) {
      if (iri === ns || (iri.indexOf(ns) === 0 && /[#\/]$/.test(ns))) {
        if (best === null || ns.length > best.length) { best = ns; }
      }
    });
    if (best !== null) {
      return iri === best ? spaces[best] : spaces[best] + iri.slice(best.length);
    }
    return /^https?:\/\//.test(iri) ? iri : null;
  }

  function compact(iri) {
    var best = null;
    Object.keys(config.prefixes).forEach(function (prefix) {
      var ns = config.prefixes[prefix];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length &&
          /^[\w\-.]+$/.test(iri.slice(ns.length)) &&
          (best === null || ns.length > config.prefixes[best].length)) {
        best = prefix;
      }
    });
    if (best !== null) { return best + ":" + iri.slice(config.prefixes[best].length); }
    if (iri.indexOf(config.base) === 0) { return "<" + iri.slice(config.base.length) + ">"; }
    return "<" + iri + ">";
  }

  function renderTerm(term, links) {
    var span = document.createElement("span");
    if (term.type === "uri") {
      var href = localHref(term.value);
      var name = document.createElement(href ? "a" : "span");
      name.className = "iri";
      if (href) {
        name.href = href;
        if (href.indexOf("http") === 0 && href.indexOf(config.base) !== 0) {
          name.rel = "noopener";
        }
      }
      name.title = term.value;
      name.textContent = compact(term.value);
      span.appendChild(name);
      (links[term.value] = links[term.value] || []).push(name);
      return span;
    }
    if (term.type === "bnode") {
      span.className = "bnode";
      span.textContent = "_:" + term.value;
      return span;
    }
    var text = document.createElement("span");
    text.className = "literal";
    text.textContent = term.value;
    span.appendChild(text);
    var lang = term["xml:lang"];
    if (lang) {
      text.lang = lang;
      span.appendChild(tag("@" + lang));
    } else if (term.datatype && PLAIN_TYPES.indexOf(term.datatype.slice(config.prefixes.xsd.length)) < 0) {
      span.appendChild(tag("^^" + compact(term.datatype)));
    }
    return span;
  }

  var PLAIN_TYPES = ["string", "integer", "positiveInteger", "decimal", "boolean"];

  function tag(text) {
    var small = document.createElement("small");
    small.className = "tag";
    small.textContent = " " + text;
    return small;
  }

  /* Replace IRIs by their labels (in the page language), keeping the IRI visible. */
  function addLabels(links) {
    var iris = Object.keys(links).slice(0, MAX_LABELLED);
    if (!iris.length) { return null; }
    var values = iris.map(function (iri) { return "<" + iri + ">"; }).join(" ");
    var query = "SELECT ?s ?label WHERE { VALUES ?s { " + values + " } " +
      "?s <http://www.w3.org/2000/01/rdf-schema#label>|" +
      "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }";
    return post(query, "application/sparql-results+json")
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) {
        if (!json) { return; }
        var best = {};
        json.results.bindings.forEach(function (b) {
          var iri = b.s.value;
          var rank = labelRank(b.label["xml:lang"] || "");
          if (!best[iri] || rank < best[iri].rank) {
            best[iri] = { rank: rank, text: b.label.value };
          }
        });
        Object.keys(best).forEach(function (iri) {
          links[iri].forEach(function (element) {
            var name = element.textContent;
            element.textContent = best[iri].text;
            element.classList.add("labelled");
            var small = document.createElement("small");
            small.className = "iri-name";
            small.textContent = name;
            element.parentNode.appendChild(small);
          });
        });
      })
      .catch(function () { /* labels are a nicety; the IRIs are already shown */ });
  }

  function labelRank(lang) {
    lang = lang.toLowerCase();
    if (lang === config.lang || lang.indexOf(config.lang + "-") === 0) { return 0; }
    if (!lang) { return 1; }
    return lang === "en" ? 2 : 3;
  }

  /* -- downloads, sharing, examples ---------------------------------------------- */

  function setDownloadKind(graph) {
    downloadButtons.forEach(function (button) {
      var key = button.getAttribute("data-download");
      button.textContent = graph ? GRAPH_FORMATS[key].label : key.toUpperCase();
    });
  }

  function download(key) {
    var text = editor.get();
    if (!text.trim()) { showStatus(msg("empty")); return; }
    var graph = /CONSTRUCT|DESCRIBE/.test(queryForm(text));
    var format = (graph ? GRAPH_FORMATS : RESULT_FORMATS)[key];
    var prepared = withPrefixes(text);
    clearError();
    post(prepared.text, format.accept)
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (body) {
            showError(response.status, body, prepared.added);
          });
        }
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = document.createElement("a");
          a.href = url;
          a.download = "kgraph-results." + format.ext;
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        });
      })
      .catch(function () { showError(0, msg("network"), 0); });
  }

  /* The address of the editor's query: an unchanged example by its name (short),
   * anything else by its text. */
  function shareUrl() {
    var text = editor.get();
    var names = Object.keys(config.examples);
    for (var i = 0; i < names.length; i++) {
      if (config.examples[names[i]] === text) {
        return config.pageUrl + "?example=" + encodeURIComponent(names[i]);
      }
    }
    return config.pageUrl + "?query=" + encodeURIComponent(text);
  }

  /* Back and forward between loaded examples and run queries restore the editor. */
  window.addEventListener("popstate", function () {
    var params = new URLSearchParams(window.location.search);
    var text = params.get("query");
    if (text === null && params.get("example") in config.examples) {
      text = config.examples[params.get("example")];
    }
    if (text !== null && text !== editor.get()) {
      editor.set(text);
      clearError();
      resultsBox.textContent = "";
      showStatus("");
    }
  });

  function updateShareLink(replaceHistory) {
    var url = shareUrl();
    shareLink.href = url;
    if (replaceHistory === true && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", url);
    }
  }

  function loadExample(link) {
    var name = link.getAttribute("data-example");
    var text = config.examples[name];
    if (text === undefined) { return false; }
    editor.set(text);
    document.querySelectorAll("[data-example]").forEach(function (other) {
      if (other === link) { other.setAttribute("aria-current", "true"); }
      else { other.removeAttribute("aria-current"); }
    });
    if (window.history && window.history.pushState) {
      window.history.pushState(null, "", shareUrl());
    }
    shareLink.href = shareUrl();
    clearError();
    resultsBox.textContent = "";
    showStatus(msg("loaded", { title: link.textContent.trim() }));
    editor.focus();
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  downloadButtons.forEach(function (button) {
    button.addEventListener("click", function () { download(button.getAttribute("data-download")); });
  });
  document.querySelectorAll("[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
      if (loadExample(link)) { event.preventDefault(); }
    });
  });
  shareLink.href = shareUrl();
  document.body.setAttribute("data-query-ready", editor.kind);
})();
