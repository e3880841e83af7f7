package events

import "slices"

// Category is one of the platform's event categories: the slug events store and search
// filters by, and the name to show.
type Category struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// categories are the categories an event may have, in the order clients show them. The
// seed data uses the first nine; a slug, once used, stays (stored events and search
// filters hold it).
var categories = []Category{
	{"technology", "Technology"},
	{"music", "Music"},
	{"food", "Food & Drink"},
	{"sports", "Sports & Fitness"},
	{"arts", "Arts & Culture"},
	{"business", "Business"},
	{"education", "Education"},
	{"community", "Community"},
	{"health", "Health & Wellness"},
	{"other", "Other"},
}

// isCategory reports whether slug is one of the platform's categories.
func isCategory(slug string) bool {
	return slices.ContainsFunc(categories, func(c Category) bool { return c.Slug == slug })
}

// currencies are the ISO 4217 codes of the currencies in circulation that a price can be
// in (December 2026): no funds (BOV, CLF, ...), precious metals, testing codes, or
// withdrawn codes (HRK, SLL, ZWL, ANG, BGN, CUC).
var currencies = []string{
	"AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD", "BIF", "BMD",
	"BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
	"CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
	"GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
	"ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
	"LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK",
	"MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR",
	"PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
	"SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
	"TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF",
	"XPF", "YER", "ZAR", "ZMW", "ZWG",
}

// isCurrency reports whether code is one of currencies.
func isCurrency(code string) bool { return slices.Contains(currencies, code) }
