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

// Printing: each closed <details> opens, so the printed history is whole (browsers that
// know ::details-content need only app.css); closed again once printed.
const opened = []
window.addEventListener("beforeprint", () => {
  for (const d of document.querySelectorAll("details:not([open])")) { d.open = true; opened.push(d) }
})
window.addEventListener("afterprint", () => { while (opened.length) opened.pop().open = false })
