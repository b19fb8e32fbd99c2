// The mask editor on the job page: tap to keep or remove a whole object, brush
// what a tap cannot fix, undo, reset. Each action posts to the JSON API (the
// edits are stored with the job), then follows the job's status: the preview
// first, then the finished result fragment. Mouse, touch and keyboard alike;
// a second finger (pinch zoom) never paints.
(function () {
  "use strict";
  var editor = document.getElementById("mask-editor");
  var box = document.getElementById("job-status");
  if (!editor || !box || !window.fetch) return;

  var photo = editor.querySelector(".mask-photo");
  var tint = editor.querySelector(".mask-tint");
  var marks = editor.querySelector(".mask-marks");
  var note = editor.querySelector("[data-role=mask-note]");
  var undoButton = editor.querySelector("[data-action=undo]");
  var resetButton = editor.querySelector("[data-action=reset]");
  var sizeInput = editor.querySelector("input[name=mask-size]");
  var tintInput = editor.querySelector("input[name=mask-tint]");
  var maskImage = new Image();
  var photoSize = null; // [width, height] of the upright photo, from the mask
  var edits = []; // the stored batches, as GET /api/jobs/<id> lists them
  var spots = []; // where the advisor suspects a mistake, in photo pixels
  var revision = null; // the job's revision whose mask is shown
  var wanted = null; // the revision an edit asked for, until it lands
  var busy = false;
  var cursor = null; // the keyboard marker, in photo pixels
  var stroke = null; // the stroke being drawn: {mode, radius, points}
  var pointers = {}; // active pointers, to tell a pinch from a stroke
  var timer = null;

  function tool() {
    return editor.querySelector("input[name=mask-tool]:checked").value;
  }

  function say(text) {
    note.textContent = text;
  }

  // Geometry: screen pixels of the stage <-> pixels of the upright photo.
  function scale() {
    return photoSize ? photoSize[0] / marks.clientWidth : 1;
  }

  function toPhoto(event) {
    var rect = marks.getBoundingClientRect();
    var s = scale();
    var x = Math.min(photoSize[0] - 1, Math.max(0, (event.clientX - rect.left) * s));
    var y = Math.min(photoSize[1] - 1, Math.max(0, (event.clientY - rect.top) * s));
    return [Math.round(x), Math.round(y)];
  }

  function fitCanvas(canvas) {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  }

  // The mask as a tint: what is background is washed over in magenta.
  function drawTint() {
    fitCanvas(tint);
    var ctx = tint.getContext("2d");
    ctx.clearRect(0, 0, tint.width, tint.height);
    if (!tintInput.checked || !maskImage.naturalWidth) return;
    ctx.drawImage(maskImage, 0, 0, tint.width, tint.height);
    var image = ctx.getImageData(0, 0, tint.width, tint.height);
    var px = image.data;
    for (var i = 0; i < px.length; i += 4) {
      var background = 255 - px[i];
      px[i] = 200; px[i + 1] = 0; px[i + 2] = 120;
      px[i + 3] = background * 0.55;
    }
    ctx.putImageData(image, 0, 0);
  }

  // Taps already stored (green: keep, red: remove), the keyboard marker and a stroke in progress.
  function drawMarks() {
    fitCanvas(marks);
    var ctx = marks.getContext("2d");
    var k = marks.width / (photoSize ? photoSize[0] : 1);
    ctx.clearRect(0, 0, marks.width, marks.height);
    spots.forEach(function (p) { ring(ctx, p[0] * k, p[1] * k); });
    edits.forEach(function (batch) {
      batch.keep.forEach(function (p) { dot(ctx, p[0] * k, p[1] * k, "#16a34a"); });
      batch.remove.forEach(function (p) { dot(ctx, p[0] * k, p[1] * k, "#dc2626"); });
    });
    if (stroke) {
      ctx.strokeStyle = stroke.mode === "keep" ? "rgba(22,163,74,0.6)" : "rgba(220,38,38,0.6)";
      ctx.lineWidth = 2 * stroke.radius * k;
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath();
      stroke.points.forEach(function (p, i) {
        if (i) ctx.lineTo(p[0] * k, p[1] * k); else ctx.moveTo(p[0] * k, p[1] * k);
      });
      if (stroke.points.length === 1) ctx.lineTo(stroke.points[0][0] * k + 0.1, stroke.points[0][1] * k);
      ctx.stroke();
    }
    if (cursor && document.activeElement === marks) {
      var r = tool().indexOf("brush") >= 0 ? brushRadius() * k : 10 * (window.devicePixelRatio || 1);
      ctx.strokeStyle = "#111"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(cursor[0] * k, cursor[1] * k, r, 0, 2 * Math.PI); ctx.stroke();
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.arc(cursor[0] * k, cursor[1] * k, r + 1.5, 0, 2 * Math.PI); ctx.stroke();
    }
  }

  function dot(ctx, x, y, colour) {
    var r = 6 * (window.devicePixelRatio || 1);
    ctx.fillStyle = colour; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }

  // The advisor's marker: a dashed amber ring the visitor can tap.
  function ring(ctx, x, y) {
    var r = 16 * (window.devicePixelRatio || 1);
    ctx.setLineDash([6, 4]); ctx.lineWidth = 3; ctx.strokeStyle = "#f59e0b";
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.stroke();
    ctx.setLineDash([]);
  }

  function brushRadius() {
    return Math.max(1, (Number(sizeInput.value) / 2) * scale());
  }

  function describe() {
    var taps = 0, strokes = 0;
    edits.forEach(function (b) { taps += b.keep.length + b.remove.length; strokes += b.strokes.length; });
    undoButton.disabled = resetButton.disabled = busy || edits.length === 0;
    if (busy) return;
    var hint = spots.length ? " The amber ring marks a spot where the outline may be wrong." : "";
    say((edits.length ? "Your edits: " + taps + " tap" + (taps === 1 ? "" : "s") + ", " + strokes +
      " brush stroke" + (strokes === 1 ? "" : "s") + "." : "No edits yet.") + hint);
  }

  // Server round trips.
  function load() {
    return fetch(editor.getAttribute("data-detail-url"), { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.status !== "done") return;
        edits = data.edits || [];
        spots = (data.warnings || []).filter(function (w) { return w.where; })
          .map(function (w) { return w.where; });
        if (data.revision !== revision) {
          revision = data.revision;
          maskImage.src = editor.getAttribute("data-mask-url") + "?v=" + revision;
        }
        drawMarks();
        describe();
      });
  }

  function send(body) {
    if (busy || !photoSize) return;
    busy = true;
    undoButton.disabled = resetButton.disabled = true;
    say("Updating the mask…");
    var updating = box.querySelector("[data-role=updating]");
    if (updating) updating.hidden = false;
    fetch(editor.getAttribute("data-edit-url"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.revision) throw new Error(data.error || "The edit was refused.");
        wanted = data.revision;
        follow();
      })
      .catch(function (error) {
        busy = false;
        stroke = null;
        drawMarks();
        describe();
        say(error.message || "The edit could not be sent. Please try again.");
      });
  }

  // Follow the job until the edit's revision lands: its preview first, then the whole fragment.
  function follow() {
    window.clearTimeout(timer);
    fetch(editor.getAttribute("data-status-url"), { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var image = box.querySelector("img[data-role=result]");
        if (image && data.preview_revision === wanted && data.preview_url &&
            image.getAttribute("src") !== data.preview_url) {
          image.setAttribute("src", data.preview_url);
        }
        if (data.status === "failed" || (data.status === "done" && data.revision === wanted)) {
          box.innerHTML = data.html;
          box.setAttribute("data-state", data.status);
          box.setAttribute("data-stage", data.stage);
          wanted = null;
          busy = false;
          stroke = null;
          return load();
        }
        timer = window.setTimeout(follow, 150);
      })
      .catch(function () { timer = window.setTimeout(follow, 1000); });
  }

  function apply(point) {
    var chosen = tool();
    if (chosen === "keep-tap") send({ keep: [point] });
    else if (chosen === "remove-tap") send({ remove: [point] });
    else send({ strokes: [{ mode: chosen.split("-")[0], radius: brushRadius(), points: [point] }] });
  }

  // Pointer input: a tap, or a brush stroke; a second pointer cancels (pinch zoom, not paint).
  marks.addEventListener("pointerdown", function (event) {
    if (!photoSize || busy) return;
    pointers[event.pointerId] = true;
    if (Object.keys(pointers).length > 1) { stroke = null; drawMarks(); return; }
    if (event.button !== undefined && event.button > 0) return;
    if (tool().indexOf("brush") >= 0) {
      marks.setPointerCapture(event.pointerId);
      stroke = { mode: tool().split("-")[0], radius: brushRadius(), points: [toPhoto(event)] };
      drawMarks();
    }
  });

  marks.addEventListener("pointermove", function (event) {
    if (!stroke || Object.keys(pointers).length > 1) return;
    var p = toPhoto(event);
    var last = stroke.points[stroke.points.length - 1];
    // Keep a point every third of a radius: smooth enough, and well within the API's limit.
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= stroke.radius / 3 && stroke.points.length < 4000) {
      stroke.points.push(p);
      drawMarks();
    }
  });

  function release(event) {
    var several = Object.keys(pointers).length > 1;
    delete pointers[event.pointerId];
    if (event.type === "pointercancel" || several) { stroke = null; drawMarks(); return; }
    if (!photoSize || busy) return;
    if (stroke) {
      var finished = stroke;
      send({ strokes: [{ mode: finished.mode, radius: finished.radius, points: finished.points }] });
    } else if (tool().indexOf("tap") >= 0 && (event.button === undefined || event.button === 0)) {
      var point = toPhoto(event);
      cursor = point;
      apply(point);
    }
  }
  marks.addEventListener("pointerup", release);
  marks.addEventListener("pointercancel", release);

  // Keyboard: arrows move a marker, Enter or Space applies the tool there, Ctrl+Z undoes.
  marks.addEventListener("keydown", function (event) {
    if (!photoSize) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (!undoButton.disabled) send({ undo: true });
      return;
    }
    if (!cursor) cursor = [Math.round(photoSize[0] / 2), Math.round(photoSize[1] / 2)];
    var step = (event.shiftKey ? 40 : 8) * scale();
    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      cursor = [
        Math.round(Math.min(photoSize[0] - 1, Math.max(0, cursor[0] + moves[event.key][0] * step))),
        Math.round(Math.min(photoSize[1] - 1, Math.max(0, cursor[1] + moves[event.key][1] * step))),
      ];
      drawMarks();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      apply(cursor);
    }
  });
  marks.addEventListener("focus", drawMarks);
  marks.addEventListener("blur", drawMarks);

  editor.addEventListener("change", function (event) {
    if (event.target === tintInput) drawTint();
    if (event.target.name === "mask-tool") {
      marks.classList.toggle("painting", tool().indexOf("brush") >= 0);
      drawMarks();
    }
  });
  undoButton.addEventListener("click", function () { send({ undo: true }); });
  resetButton.addEventListener("click", function () { send({ reset: true }); });

  maskImage.addEventListener("load", function () {
    photoSize = [maskImage.naturalWidth, maskImage.naturalHeight];
    drawTint();
    drawMarks();
  });
  photo.addEventListener("load", function () { drawTint(); drawMarks(); });
  window.addEventListener("resize", function () { drawTint(); drawMarks(); });

  // Show the editor once the job has a result; job.js may finish it while we wait.
  function start() {
    if (box.getAttribute("data-state") !== "done" || !editor.hidden) return;
    editor.hidden = false;
    load();
  }
  new MutationObserver(start).observe(box, { attributes: true, attributeFilter: ["data-state"] });
  start();
})();
