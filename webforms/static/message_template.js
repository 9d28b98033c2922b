// The message wording page: counts the SMS length of the text as it is typed, the way the network does
// (engine/messaging/texts/template_language.py: GSM-7 160/153, else UCS-2 70/67). Variables are
// counted as typed; the preview after "Preview" counts them filled in.
(function () {
  "use strict";
  var area = document.getElementById("f-text");
  var shown = document.getElementById("sms-length");
  if (!area || !shown) return;
  var basic =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var extended = "^{}\\[~]|€\f";

  function count(text) {
    var gsm = true;
    var units = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (basic.indexOf(c) >= 0) units += 1;
      else if (extended.indexOf(c) >= 0) units += 2;
      else gsm = false;
    }
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    if (!gsm) units = text.length; // UTF-16 code units, as UCS-2 counts them
    var segments = units <= single ? (units ? 1 : 0) : Math.ceil(units / part);
    return {
      characters: units,
      encoding: gsm ? "GSM-7" : "UCS-2",
      segments: segments,
      per_segment: units <= single ? single : part,
    };
  }

  function update() {
    var said = count(area.value);
    shown.textContent = shown.getAttribute("data-template").replace(/%\((\w+)\)s/g, function (_, name) {
      return String(said[name]);
    });
  }

  area.addEventListener("input", update);
})();
