/**
 * The lifecycle's EventBridge contract: what the workflows emit on the control-plane bus and what
 * starts onboarding. Consumers (billing, the authorizer's cache, dashboards) match on these.
 */
export const LIFECYCLE_EVENT_SOURCE = 'tenantry.lifecycle';

export const lifecycleDetailTypes = {
  onboarded: 'TenantOnboarded',
  onboardingFailed: 'TenantOnboardingFailed',
  promoted: 'TenantPromoted',
  promotionFailed: 'TenantPromotionFailed',
  offboarded: 'TenantOffboarded',
  offboardingFailed: 'TenantOffboardingFailed',
} as const;
export type LifecycleDetailType = (typeof lifecycleDetailTypes)[keyof typeof lifecycleDetailTypes];

/** A signup: the event that starts onboarding (its `detail` is the onboarding input). */
export const SIGNUP_EVENT_SOURCE = 'tenantry.signup';
export const SIGNUP_DETAIL_TYPE = 'TenantSignupRequested';

/** The EventBridge pattern of the rule that routes signups to the signup starter. */
export const signupEventPattern = {
  source: [SIGNUP_EVENT_SOURCE],
  'detail-type': [SIGNUP_DETAIL_TYPE],
} as const;
