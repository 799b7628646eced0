// Package engagement is why people join HPA: to give their voice. It holds
// the opportunities (surveys, listening events, research studies,
// webinars, consultations) that HPA and partner organisations offer,
// staff review of partners' submissions, registrations with capacity and
// waiting lists, alerts to the members who asked for each kind (once,
// respectfully, only with consent), and what organisers learned.
package engagement
