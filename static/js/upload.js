// The tool pages. Photos come in by the file button, by a drop anywhere on the
// page, by a paste, or from a sample; they are checked here (type, size, count)
// before a byte is sent, shown as thumbnails, then sent with a progress bar.
// The server checks everything again. Without JavaScript the form posts as is.
(function () {
  "use strict";
  var form = document.querySelector("form.upload");
  if (!form) return;
  document.documentElement.classList.add("js");
  var input = form.querySelector("input[type=file]");
  var chosen = form.querySelector("[data-role=chosen]");
  var errors = form.querySelector("[data-role=errors]");
  var progress = form.querySelector("[data-role=progress]");
  var bar = progress.querySelector("progress");
  var progressText = progress.querySelector("[data-role=progress-text]");
  var button = form.querySelector("button[type=submit]");
  var samples = document.querySelector("[data-role=samples]");
  var overlay = document.querySelector("[data-role=overlay]");
  var maxMb = Number(form.getAttribute("data-max-mb"));
  var maxPhotos = Number(form.getAttribute("data-max-photos")) || 1;
  var batchUrl = form.getAttribute("data-batch-url");
  // The formats we read, from the page (the server's one list: editor/imaging/formats.py).
  var FORMATS = form.dataset.formats || "JPEG, PNG or WebP";
  var SUFFIXES = (form.dataset.suffixes || ".jpg .jpeg .png .webp").split(" ");
  function readable(name) {
    var dot = name.lastIndexOf(".");
    return dot >= 0 && SUFFIXES.indexOf(name.slice(dot).toLowerCase()) >= 0;
  }
  var selected = [];
  var thumbnails = [];
  var sending = false;

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function say(messages) {
    errors.textContent = "";
    if (!messages.length) return;
    var box = document.createElement("div");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    messages.forEach(function (message) {
      var line = document.createElement("p");
      line.textContent = message;
      box.appendChild(line);
    });
    errors.appendChild(box);
    box.scrollIntoView({ block: "nearest" });
  }

  function problems(files) {
    var found = [];
    if (!files.length) found.push("Please choose a photo to upload.");
    if (files.length > maxPhotos) {
      found.push("You chose " + files.length + " photos; we take up to " + maxPhotos + " at once.");
    }
    files.forEach(function (file) {
      var it = files.length > 1 ? file.name + " is" : "This file is";
      if (!/^image\//.test(file.type) && !readable(file.name)) {
        found.push((files.length > 1 ? file.name + " is" : "This is") + " not a photo we can read. Please choose a " + FORMATS + " file.");
      } else if (file.size > maxMb * 1048576) {
        found.push(it + " " + megabytes(file.size) + "; the limit is " + maxMb + " MB a photo. Please choose a smaller one.");
      } else if (file.size === 0) {
        found.push(it + " empty. Please choose a photo.");
      }
    });
    return found;
  }

  function showChosen(files) {
    thumbnails.forEach(URL.revokeObjectURL);
    thumbnails = [];
    chosen.textContent = "";
    chosen.hidden = !files.length;
    chosen.classList.toggle("chosen-many", files.length > 1);
    files.forEach(function (file) {
      var item = document.createElement("li");
      var picture = document.createElement("img");
      var url = URL.createObjectURL(file);
      thumbnails.push(url);
      picture.src = url;
      picture.alt = "";
      picture.addEventListener("error", function () { picture.hidden = true; }); // HEIC, TIFF: no preview
      var label = document.createElement("span");
      label.textContent = file.name + " · " + megabytes(file.size);
      item.appendChild(picture);
      item.appendChild(label);
      chosen.appendChild(item);
    });
  }

  // Files from anywhere (button, drop, paste, sample) become the form's own,
  // so the plain form post would send the same ones.
  function choose(list, sendNow) {
    var files = Array.prototype.slice.call(list);
    if (!files.length || sending) return;
    selected = files;
    try {
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    } catch (e) { /* an old browser: `selected` still holds them */ }
    showChosen(files);
    var found = problems(files);
    say(found);
    if (sendNow && !found.length) send(files);
  }

  function reset() {
    sending = false;
    button.disabled = false;
    button.textContent = button.getAttribute("data-label");
    progress.hidden = true;
  }

  function refused(xhr) {
    // The server answered with the page and its message: show that message here.
    // A tool page says it in the upload's alert (its .lead is the page's own intro);
    // only an error page (503, 500), which has no upload form, says it in its .lead.
    var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var message = page.querySelector(".upload .alert") ||
      (page.querySelector("form.upload") ? null : page.querySelector("main .lead"));
    reset();
    say([message ? message.textContent.replace(/\s+/g, " ").trim() : "The upload was refused (HTTP " + xhr.status + "). Please try again."]);
  }

  function send(files) {
    if (sending) return;
    sending = true;
    var data = new FormData(form);
    data.delete("image");
    files.forEach(function (file) { data.append("image", file, file.name); });
    var url = files.length > 1 && batchUrl ? batchUrl : form.action;
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    button.disabled = true;
    button.textContent = "Uploading…";
    bar.value = 0;
    progressText.textContent = "Uploading " + megabytes(total) + "…";
    progress.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((100 * event.loaded) / event.total);
      bar.value = percent;
      progressText.textContent = "Uploading… " + percent + "% of " + megabytes(total);
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      progressText.textContent = files.length > 1 ? "Checking your photos…" : "Checking your photo…";
    });
    xhr.addEventListener("load", function () {
      // Accepted: the server redirected to the new job (or batch) page.
      var moved = xhr.responseURL && xhr.responseURL.split("#")[0] !== new URL(url, location.href).href;
      if (xhr.status < 300 && moved) {
        window.location.assign(xhr.responseURL);
      } else {
        refused(xhr);
      }
    });
    xhr.addEventListener("error", function () {
      reset();
      say(["The upload did not get through. Please check your connection and try again."]);
    });
    xhr.send(data);
  }

  input.addEventListener("change", function () { choose(input.files, false); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = selected.length ? selected : Array.prototype.slice.call(input.files);
    var found = problems(files);
    say(found);
    if (!found.length) send(files);
  });

  // Drop anywhere on the page.
  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
  }
  var depth = 0;
  document.addEventListener("dragenter", function (event) {
    if (!carriesFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener("dragleave", function (event) {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    choose(event.dataTransfer.files, true);
  });

  // Paste a photo (a screenshot, a copied image); pasting text into a field is left alone.
  document.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (!files || !files.length) return;
    event.preventDefault();
    choose(files, true);
  });

  // Samples: one click fetches our own photo and sends it like any other.
  if (samples) {
    samples.hidden = false;
    samples.addEventListener("click", function (event) {
      var sample = event.target.closest("[data-sample]");
      if (!sample || sending) return;
      var address = sample.getAttribute("data-sample");
      fetch(address)
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.blob();
        })
        .then(function (blob) {
          var name = address.split("/").pop().replace(/\.[0-9a-f]{12}\./, ".");
          choose([new File([blob], name, { type: blob.type || "image/jpeg" })], true);
        })
        .catch(function () { say(["The sample photo could not be loaded. Please try again."]); });
    });
  }

  // Coming back with the Back button restores the page as it was left: re-enable.
  window.addEventListener("pageshow", reset);
})();
