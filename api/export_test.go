package api

// SignedBodyKey lets tests outside the package see which operations keep
// their body's text rather than refusing it.
const SignedBodyKey = signedBodyKey
