// An embedded page tells the page that frames it how tall it is, on load and whenever
// its height changes, so the course page can size the iframe and nothing is cut:
//   window.parent receives {type: "synack:height", height} (CSS pixels).
if (window.parent !== window) {
  let last = 0;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "synack:height", height }, "*");
  };
  new ResizeObserver(post).observe(document.documentElement);
  window.addEventListener("load", post);
  post();
}
