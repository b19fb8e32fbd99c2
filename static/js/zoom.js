// Zoom and pan of the job page's picture while the mask is fixed (mask.js drives
// it): both photos of the before/after frame are scaled and moved by the same CSS
// transform, so the divider still splits them where it stands, and the canvases
// drawn over them ask this view where a point of the picture is on screen.
// Picture points are in the frame's own pixels at zoom 1; screen points in the
// frame's pixels as the visitor sees them now.
window.softfocusView = function (frame, changed) {
  "use strict";
  var MAX_ZOOM = 8; // enough to aim at a finger on a 12 MP photo shown 400 px wide
  var STEP = 1.5; // one press of + or −
  var zoom = 1;
  var x = 0; // where the picture's top-left corner is, in screen points
  var y = 0;

  // The picture always covers the frame: no zooming out past it, no panning off it.
  function settle() {
    var w = frame.clientWidth;
    var h = frame.clientHeight;
    zoom = Math.min(MAX_ZOOM, Math.max(1, zoom));
    x = Math.min(0, Math.max(w - w * zoom, x));
    y = Math.min(0, Math.max(h - h * zoom, y));
    frame.style.setProperty("--zoom", String(zoom));
    frame.style.setProperty("--pan-x", x + "px");
    frame.style.setProperty("--pan-y", y + "px");
    changed();
  }

  var view = {
    zoom: function () { return zoom; },
    toPicture: function (sx, sy) { return [(sx - x) / zoom, (sy - y) / zoom]; },
    toScreen: function (px, py) { return [px * zoom + x, py * zoom + y]; },
    // Zoom by `factor`, keeping the screen point (sx, sy) over the same part of the picture.
    zoomAt: function (factor, sx, sy) {
      var before = view.toPicture(sx, sy);
      zoom = Math.min(MAX_ZOOM, Math.max(1, zoom * factor));
      x = sx - before[0] * zoom;
      y = sy - before[1] * zoom;
      settle();
    },
    step: function (direction) {
      view.zoomAt(direction > 0 ? STEP : 1 / STEP, frame.clientWidth / 2, frame.clientHeight / 2);
    },
    panBy: function (dx, dy) {
      x += dx;
      y += dy;
      settle();
    },
    // Two fingers moved from (a0, b0) to (a1, b1), screen points: zoom by their spread, follow their middle.
    pinch: function (a0, b0, a1, b1) {
      var spread0 = Math.hypot(b0[0] - a0[0], b0[1] - a0[1]) || 1;
      var spread1 = Math.hypot(b1[0] - a1[0], b1[1] - a1[1]);
      var mid0 = [(a0[0] + b0[0]) / 2, (a0[1] + b0[1]) / 2];
      var mid1 = [(a1[0] + b1[0]) / 2, (a1[1] + b1[1]) / 2];
      x += mid1[0] - mid0[0];
      y += mid1[1] - mid0[1];
      view.zoomAt(spread1 / spread0, mid1[0], mid1[1]);
    },
    // Bring a picture point into view (the keyboard marker), moving as little as needed.
    reveal: function (px, py) {
      var s = view.toScreen(px, py);
      var margin = 24;
      var w = frame.clientWidth;
      var h = frame.clientHeight;
      var dx = s[0] < margin ? margin - s[0] : s[0] > w - margin ? w - margin - s[0] : 0;
      var dy = s[1] < margin ? margin - s[1] : s[1] > h - margin ? h - margin - s[1] : 0;
      if (dx || dy) view.panBy(dx, dy);
    },
    reset: function () {
      zoom = 1;
      x = y = 0;
      settle();
    },
    settle: settle,
  };
  return view;
};
