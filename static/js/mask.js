// Fixing the mask on the job page's own picture. "Fix it on the picture" turns
// the result into the editor: the mask as a tint, taps that keep or remove the
// whole object under them, a brush for what a tap cannot fix, undo, reset, and
// zoom (wheel, + and − buttons or keys, two fingers) with pan (drag with a tap
// tool, two fingers, or the middle mouse button). Each edit is posted to the
// JSON API (the edits are stored with the job) and followed until it is on
// screen by the page's one follower (follow.js), so the result is redrawn in
// place and the before/after divider stays. A second finger never paints: it
// cancels the stroke and zooms. job.js calls softfocusFix each time the result
// fragment is put on the page.
window.softfocusFix = function (box, follower) {
  "use strict";
  var editor = box.querySelector("#mask-editor");
  var frame = box.querySelector(".compare-frame");
  if (!editor || !frame || editor.getAttribute("data-ready") || !window.fetch) return;
  editor.setAttribute("data-ready", "1");

  var TAP_SLOP = 8; // screen pixels a tap may wander before it is a drag
  var TINT_SIDE = 1600; // the tint is worked out at most this big: enough for a sharp edge on screen
  // What one edit may hold, as the server checks it (the page renders editor/imaging/edits.py).
  var MAX_POINTS = Number(editor.getAttribute("data-max-points")) || 5000;
  var tint = frame.querySelector("[data-role=fix-tint]");
  var marks = frame.querySelector("[data-role=fix-marks]");
  var zoomButtons = box.querySelector("[data-role=fix-zoom]");
  var fitButton = zoomButtons.querySelector("[data-zoom=fit]");
  var toggle = editor.querySelector("[data-action=fix]");
  var tools = editor.querySelector("[data-role=mask-tools]");
  var note = editor.querySelector("[data-role=mask-note]");
  var undoButton = editor.querySelector("[data-action=undo]");
  var resetButton = editor.querySelector("[data-action=reset]");
  var sizeInput = editor.querySelector("input[name=mask-size]");
  var tintInput = editor.querySelector("input[name=mask-tint]");
  var view = window.softfocusView(frame, draw);
  var maskImage = new Image();
  var tinted = null; // the mask washed in magenta where it says background, ready to draw
  var photoSize = null; // [width, height] of the upright photo, from the mask
  var edits = []; // the stored batches, as GET /api/jobs/<id> lists them
  var spots = []; // where the advisor suspects a mistake, in photo pixels
  var revision = null; // the job's revision whose mask is shown
  var fixing = false;
  var busy = false; // an edit is on its way and not on screen yet
  var cursor = null; // the keyboard marker, in photo pixels
  var stroke = null; // the stroke being drawn: {mode, radius, points}
  var pointers = {}; // pointers down on the picture: their last screen points
  var gesture = null; // what the pointers down are doing: tap | pan | stroke | pinch
  var start = null; // where a one-pointer gesture began, screen points
  var hover = null; // the mouse over the picture, screen points

  function tool() {
    return editor.querySelector("input[name=mask-tool]:checked").value;
  }

  function setFixing(on) {
    fixing = on;
    frame.classList.toggle("is-fixing", on);
    tint.hidden = marks.hidden = zoomButtons.hidden = tools.hidden = !on;
    toggle.textContent = on ? "Done fixing" : "Fix it on the picture";
    toggle.setAttribute("aria-expanded", on ? "true" : "false");
    if (!on) {
      view.reset();
      stroke = null;
    }
    // The tools where they can be reached: just under the picture, which stays in view.
    if (on) toggle.scrollIntoView({ block: "start" });
    draw();
  }

  // Geometry. Screen points: the frame's pixels as seen; picture points: the same at
  // zoom 1 (view.toPicture turns one into the other); photo pixels: the upright photo's.
  function pictureScale() {
    return marks.clientWidth / photoSize[0]; // picture points per photo pixel
  }

  function screenPoint(event) {
    var rect = marks.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function photoPoint(screen) {
    var p = view.toPicture(screen[0], screen[1]);
    var k = pictureScale();
    return [
      Math.round(Math.min(photoSize[0] - 1, Math.max(0, p[0] / k))),
      Math.round(Math.min(photoSize[1] - 1, Math.max(0, p[1] / k))),
    ];
  }

  function onScreen(point) {
    var k = pictureScale();
    return view.toScreen(point[0] * k, point[1] * k);
  }

  // The brush is as wide on screen as its size says, whatever the zoom.
  function brushRadius() {
    return Math.max(1, Number(sizeInput.value) / 2 / pictureScale() / view.zoom());
  }

  function fitCanvas(canvas) {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  function prepareTint() {
    var k = Math.min(1, TINT_SIDE / Math.max(maskImage.naturalWidth, maskImage.naturalHeight));
    tinted = document.createElement("canvas");
    tinted.width = Math.max(1, Math.round(maskImage.naturalWidth * k));
    tinted.height = Math.max(1, Math.round(maskImage.naturalHeight * k));
    var ctx = tinted.getContext("2d");
    ctx.drawImage(maskImage, 0, 0, tinted.width, tinted.height);
    var image = ctx.getImageData(0, 0, tinted.width, tinted.height);
    var px = image.data;
    for (var i = 0; i < px.length; i += 4) {
      var background = 255 - px[i];
      px[i] = 200; px[i + 1] = 0; px[i + 2] = 120;
      px[i + 3] = background * 0.55;
    }
    ctx.putImageData(image, 0, 0);
  }

  function draw() {
    if (!fixing || !photoSize || !marks.isConnected) return;
    fitButton.disabled = view.zoom() === 1;
    var ctx = fitCanvas(tint);
    if (tintInput.checked && tinted) {
      var corner = view.toScreen(0, 0);
      var z = view.zoom();
      ctx.drawImage(tinted, corner[0], corner[1], tint.clientWidth * z, tint.clientHeight * z);
    }
    drawMarks(fitCanvas(marks));
  }

  // Taps already stored (green: keep, red: remove), the advisor's rings, the keyboard
  // marker and a stroke in progress; marks keep their size on screen at any zoom.
  function drawMarks(ctx) {
    spots.forEach(function (p) { ring(ctx, onScreen(p)); });
    edits.forEach(function (batch) {
      batch.keep.forEach(function (p) { dot(ctx, onScreen(p), "#16a34a"); });
      batch.remove.forEach(function (p) { dot(ctx, onScreen(p), "#dc2626"); });
    });
    if (stroke) {
      ctx.strokeStyle = stroke.mode === "keep" ? "rgba(22,163,74,0.6)" : "rgba(220,38,38,0.6)";
      ctx.lineWidth = 2 * stroke.radius * pictureScale() * view.zoom();
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath();
      stroke.points.forEach(function (p, i) {
        var s = onScreen(p);
        if (i) ctx.lineTo(s[0], s[1]); else ctx.moveTo(s[0], s[1]);
      });
      if (stroke.points.length === 1) ctx.lineTo(onScreen(stroke.points[0])[0] + 0.1, onScreen(stroke.points[0])[1]);
      ctx.stroke();
    }
    var brush = tool().indexOf("brush") >= 0;
    // Where the keyboard's marker is, and how wide the brush is under the mouse.
    var at = cursor && document.activeElement === marks ? onScreen(cursor) : brush && !stroke && hover;
    if (!at) return;
    var r = brush ? Number(sizeInput.value) / 2 : 10;
    ctx.strokeStyle = "#111"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(at[0], at[1], r, 0, 2 * Math.PI); ctx.stroke();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.arc(at[0], at[1], r + 1.5, 0, 2 * Math.PI); ctx.stroke();
  }

  function dot(ctx, s, colour) {
    ctx.fillStyle = colour; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(s[0], s[1], 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }

  // The advisor's marker: a dashed amber ring.
  function ring(ctx, s) {
    ctx.setLineDash([6, 4]); ctx.lineWidth = 3; ctx.strokeStyle = "#f59e0b";
    ctx.beginPath(); ctx.arc(s[0], s[1], 16, 0, 2 * Math.PI); ctx.stroke();
    ctx.setLineDash([]);
  }

  function describe() {
    var taps = 0, strokes = 0;
    edits.forEach(function (b) { taps += b.keep.length + b.remove.length; strokes += b.strokes.length; });
    undoButton.disabled = resetButton.disabled = busy || edits.length === 0;
    if (busy) return;
    var hint = spots.length ? " The amber ring marks a spot where the outline may be wrong." : "";
    note.textContent = (edits.length ? "Your edits: " + taps + " tap" + (taps === 1 ? "" : "s") + ", " + strokes +
      " brush stroke" + (strokes === 1 ? "" : "s") + "." : "No edits yet.") + hint;
  }

  // The stored edits, the advisor's spots and, when the result changed, its mask.
  function load() {
    return fetch(editor.getAttribute("data-detail-url"), { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        edits = data.edits || [];
        spots = (data.warnings || []).filter(function (w) { return w.where; })
          .map(function (w) { return w.where; });
        // The revision is given once the job is done: only then is its mask file the one on show.
        if (data.revision && data.revision !== revision) {
          revision = data.revision;
          maskImage.src = editor.getAttribute("data-mask-url") + "?v=" + revision;
        }
        draw();
        describe();
      });
  }

  function settled(message) {
    busy = false;
    stroke = null;
    draw();
    describe();
    if (message) note.textContent = message;
  }

  function send(body) {
    if (busy || !photoSize) return;
    busy = true;
    undoButton.disabled = resetButton.disabled = true;
    note.textContent = "Updating the mask…";
    var updating = box.querySelector("[data-role=updating]");
    if (updating) updating.hidden = false;
    fetch(editor.getAttribute("data-edit-url"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (typeof data.request !== "number") throw new Error(data.error || "The edit was refused.");
        // On screen: the next edit may follow. Ready: the new mask exists, for the tint.
        return follower.request(data.request, { shown: function () { settled(); load(); } })
          .then(load, function () { settled(); });
      })
      .catch(function (error) {
        settled(error.message || "The edit could not be sent. Please try again.");
      });
  }

  function apply(point) {
    var chosen = tool();
    if (chosen === "keep-tap") send({ keep: [point] });
    else if (chosen === "remove-tap") send({ remove: [point] });
    else send({ strokes: [{ mode: chosen.split("-")[0], radius: brushRadius(), points: [point] }] });
  }

  // Pointers: one is a tap, a pan (a tap tool dragged, or the middle button) or a
  // stroke (a brush tool); a second one makes it a pinch, and what was begun is dropped.
  marks.addEventListener("pointerdown", function (event) {
    if (!fixing || !photoSize || event.button > 1) return;
    marks.setPointerCapture(event.pointerId);
    pointers[event.pointerId] = screenPoint(event);
    var count = Object.keys(pointers).length;
    if (count > 1) {
      gesture = "pinch";
      stroke = null;
      draw();
      return;
    }
    start = pointers[event.pointerId];
    if (event.button === 1) gesture = "pan";
    else if (tool().indexOf("brush") >= 0 && !busy) {
      gesture = "stroke";
      stroke = { mode: tool().split("-")[0], radius: brushRadius(), points: [photoPoint(start)] };
      draw();
    } else gesture = "tap";
    event.preventDefault(); // no text selection, no emulated mouse events
  });

  marks.addEventListener("pointermove", function (event) {
    var before = pointers[event.pointerId];
    if (!before && event.pointerType === "mouse") {
      hover = screenPoint(event);
      draw();
    }
    if (!before) return;
    var now = screenPoint(event);
    pointers[event.pointerId] = now;
    if (gesture === "pinch") {
      var other = Object.keys(pointers).filter(function (id) { return String(id) !== String(event.pointerId); })[0];
      if (other !== undefined) view.pinch(before, pointers[other], now, pointers[other]);
      return;
    }
    if (gesture === "tap" && Math.hypot(now[0] - start[0], now[1] - start[1]) > TAP_SLOP) gesture = "pan";
    if (gesture === "pan") view.panBy(now[0] - before[0], now[1] - before[1]);
    if (gesture === "stroke") {
      var p = photoPoint(now);
      var last = stroke.points[stroke.points.length - 1];
      // A point every third of a radius: smooth enough, and well within the API's limit.
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= stroke.radius / 3 && stroke.points.length < MAX_POINTS) {
        stroke.points.push(p);
        draw();
      }
    }
  });

  function release(event) {
    if (!pointers[event.pointerId]) return;
    var at = pointers[event.pointerId];
    delete pointers[event.pointerId];
    var was = gesture;
    if (Object.keys(pointers).length) return; // a pinch goes on, or ends with the last finger
    gesture = null;
    if (event.type === "pointercancel" || was === "pinch") {
      stroke = null;
      draw();
    } else if (was === "stroke" && stroke) {
      send({ strokes: [{ mode: stroke.mode, radius: stroke.radius, points: stroke.points }] });
    } else if (was === "tap" && !busy) {
      cursor = photoPoint(at);
      apply(cursor);
    }
  }
  marks.addEventListener("pointerup", release);
  marks.addEventListener("pointercancel", release);

  // The wheel zooms around the pointer (a trackpad's pinch arrives as a wheel with Ctrl).
  marks.addEventListener("wheel", function (event) {
    if (!fixing) return;
    event.preventDefault();
    var lines = event.deltaMode === 1 ? 33 : 1;
    var at = screenPoint(event);
    view.zoomAt(Math.exp(-event.deltaY * lines * 0.002), at[0], at[1]);
  }, { passive: false });

  zoomButtons.addEventListener("click", function (event) {
    var button = event.target.closest("[data-zoom]");
    if (!button) return;
    var how = button.getAttribute("data-zoom");
    if (how === "fit") view.reset();
    else view.step(how === "in" ? 1 : -1);
  });

  // Keyboard: arrows move a marker, Enter or Space applies the tool there, + and − zoom
  // (0 shows the whole photo), Ctrl+Z undoes.
  marks.addEventListener("keydown", function (event) {
    if (!photoSize) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (!undoButton.disabled) send({ undo: true });
      return;
    }
    var zooms = { "+": 1, "=": 1, "-": -1, "_": -1 };
    if (event.key in zooms || event.key === "0") {
      event.preventDefault();
      if (event.key === "0") view.reset(); else view.step(zooms[event.key]);
      return;
    }
    if (!cursor) cursor = [Math.round(photoSize[0] / 2), Math.round(photoSize[1] / 2)];
    var step = (event.shiftKey ? 40 : 8) / pictureScale() / view.zoom();
    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      cursor = [
        Math.round(Math.min(photoSize[0] - 1, Math.max(0, cursor[0] + moves[event.key][0] * step))),
        Math.round(Math.min(photoSize[1] - 1, Math.max(0, cursor[1] + moves[event.key][1] * step))),
      ];
      var k = pictureScale();
      view.reveal(cursor[0] * k, cursor[1] * k);
      draw();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      apply(cursor);
    }
  });
  marks.addEventListener("pointerleave", function () {
    hover = null;
    draw();
  });
  marks.addEventListener("focus", draw);
  marks.addEventListener("blur", draw);

  toggle.addEventListener("click", function () { setFixing(!fixing); });
  editor.addEventListener("change", function (event) {
    if (event.target.name === "mask-tool") marks.classList.toggle("painting", tool().indexOf("brush") >= 0);
    draw();
  });
  undoButton.addEventListener("click", function () { send({ undo: true }); });
  resetButton.addEventListener("click", function () { send({ reset: true }); });

  maskImage.addEventListener("load", function () {
    photoSize = [maskImage.naturalWidth, maskImage.naturalHeight];
    prepareTint();
    draw();
  });
  window.addEventListener("resize", function () {
    if (marks.isConnected) view.settle();
  });

  // The result may be on show before the job is done (its advice still coming): look
  // again once it is, for the mask and the advisor's spots.
  var state = box.getAttribute("data-state");
  new MutationObserver(function () {
    var was = state;
    state = box.getAttribute("data-state");
    if (state === "done" && was !== "done" && editor.isConnected) load();
  }).observe(box, { attributes: true, attributeFilter: ["data-state"] });
  editor.hidden = false;
  load();
};
