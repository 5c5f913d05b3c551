// Typeset maths with the KaTeX copy in this folder (no CDN): the \(...\) and \[...\] that
// pymdownx.arithmatex leaves in Markdown pages, and the $...$ / $$...$$ of notebook cells.
const inlineAndDisplay = [
  { left: "\\(", right: "\\)", display: false },
  { left: "\\[", right: "\\]", display: true },
];
const dollars = [
  { left: "$$", right: "$$", display: true },
  { left: "$", right: "$", display: false },
];

document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, { delimiters: inlineAndDisplay });
  }
  for (const element of body.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput")) {
    renderMathInElement(element, { delimiters: [...dollars, ...inlineAndDisplay] });
  }
});
