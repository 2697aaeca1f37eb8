// The baseline for bench/webhook-intake.ts: a Probot app that listens to the
// same events and does nothing. Plain JavaScript so `probot run` loads it as
// it loads planwright's compiled dist/index.js, without a TypeScript loader.
export default (app) => {
  app.on(["issues", "issue_comment", "pull_request_review", "pull_request_review_comment"], async () => {});
};
