// The Daraja-compatible partner API's building blocks, for the routes to import from one place.
// Pure or nearly pure: no module here holds state or does I/O except the DNS check and delivery
// lookup in callback-url.ts.
export * from './callback-url.ts';
export * from './coerce.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './initiator.ts';
export * from './lru.ts';
export * from './requests.ts';
export * from './security-credential.ts';
export * from './shapes.ts';
export * from './stk-password.ts';
export * from './time.ts';
