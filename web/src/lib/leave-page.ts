//! Sends the browser away from the dashboard, to another site (an identity provider's sign-in page).
//! One module, so tests replace it: jsdom cannot follow, nor let a test watch, `location.assign`.

export function leavePage(url: string): void {
  window.location.assign(url);
}
