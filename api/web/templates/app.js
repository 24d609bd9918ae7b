// casework's own enhancement, in the page's nonce'd module script (deferred, so the page
// is read first). Without it every table's box is a tab stop; with it only a box whose
// table is wider than the screen is, so the keyboard is not stopped by a table that fits.
const boxes = document.querySelectorAll(".app-table-scroll")
function stopOnlyWhereItScrolls () {
  for (const box of boxes) {
    if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0")
    else if (box !== document.activeElement) box.removeAttribute("tabindex")
  }
}
stopOnlyWhereItScrolls()
window.addEventListener("resize", stopOnlyWhereItScrolls)
