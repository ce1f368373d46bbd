import "@testing-library/jest-dom/vitest";

// jsdom has no ResizeObserver; Radix's switch measures itself with one.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
