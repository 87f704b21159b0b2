/* skyguard operator map login: says why the last attempt failed (no inline script). */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  if (new URLSearchParams(location.search).has('failed')) document.getElementById('failed').hidden = false;
});
