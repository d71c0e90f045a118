/** What `gcloud app deploy` would upload, and App Engine's deploy limits on it. */
export { uploadSet, type UploadSet, type UploadFile, type UploadRule } from './upload-set.js';
export { checkDeployLimits, DEPLOY_LIMITS, type DeployLimitProblem } from './limits.js';
export { GcloudIgnore, GcloudIgnoreError } from './gcloudignore.js';
