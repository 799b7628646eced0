package hpa

import "strings"

// EmailKey is the form of an email address that identifies one person,
// whatever case or "+tag" they typed: lower-cased, without a "+tag", and
// for Gmail without dots (which Gmail ignores). So Jane.Doe+hpa@Gmail.com
// and janedoe@gmail.com are one person. Every record that holds an address
// (members, registrations, enquiries, donors) is found through the keyed
// hash of this form, so a person's data can be found and erased wherever
// it is. email must already be a valid address.
func EmailKey(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return strings.ToLower(email)
	}
	local, domain := strings.ToLower(email[:at]), strings.ToLower(email[at+1:])
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	if domain == "gmail.com" || domain == "googlemail.com" {
		local, domain = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	return local + "@" + domain
}
