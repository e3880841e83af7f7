package seed

// The vocabulary of the generated data: real cities with their coordinates and time zones,
// categories with skewed popularity, and title, tag and description parts per category.

type city struct {
	name, country, tz, currency string
	lat, lng                    float64
	weight                      float64 // relative share of events and users
}

var cities = []city{
	{"London", "GB", "Europe/London", "GBP", 51.5074, -0.1278, 10},
	{"New York", "US", "America/New_York", "USD", 40.7128, -74.0060, 10},
	{"San Francisco", "US", "America/Los_Angeles", "USD", 37.7749, -122.4194, 7},
	{"Berlin", "DE", "Europe/Berlin", "EUR", 52.5200, 13.4050, 7},
	{"Paris", "FR", "Europe/Paris", "EUR", 48.8566, 2.3522, 7},
	{"Tokyo", "JP", "Asia/Tokyo", "JPY", 35.6762, 139.6503, 6},
	{"Toronto", "CA", "America/Toronto", "CAD", 43.6532, -79.3832, 4},
	{"Sydney", "AU", "Australia/Sydney", "AUD", -33.8688, 151.2093, 4},
	{"Amsterdam", "NL", "Europe/Amsterdam", "EUR", 52.3676, 4.9041, 4},
	{"Lisbon", "PT", "Europe/Lisbon", "EUR", 38.7223, -9.1393, 3},
	{"Madrid", "ES", "Europe/Madrid", "EUR", 40.4168, -3.7038, 3},
	{"Barcelona", "ES", "Europe/Madrid", "EUR", 41.3874, 2.1686, 3},
	{"Chicago", "US", "America/Chicago", "USD", 41.8781, -87.6298, 4},
	{"Austin", "US", "America/Chicago", "USD", 30.2672, -97.7431, 3},
	{"Seattle", "US", "America/Los_Angeles", "USD", 47.6062, -122.3321, 3},
	{"Los Angeles", "US", "America/Los_Angeles", "USD", 34.0522, -118.2437, 5},
	{"Boston", "US", "America/New_York", "USD", 42.3601, -71.0589, 3},
	{"Dublin", "IE", "Europe/Dublin", "EUR", 53.3498, -6.2603, 2},
	{"Stockholm", "SE", "Europe/Stockholm", "SEK", 59.3293, 18.0686, 2},
	{"Copenhagen", "DK", "Europe/Copenhagen", "DKK", 55.6761, 12.5683, 2},
	{"Munich", "DE", "Europe/Berlin", "EUR", 48.1351, 11.5820, 2},
	{"Hamburg", "DE", "Europe/Berlin", "EUR", 53.5511, 9.9937, 2},
	{"Vienna", "AT", "Europe/Vienna", "EUR", 48.2082, 16.3738, 2},
	{"Zurich", "CH", "Europe/Zurich", "CHF", 47.3769, 8.5417, 2},
	{"Milan", "IT", "Europe/Rome", "EUR", 45.4642, 9.1900, 2},
	{"Rome", "IT", "Europe/Rome", "EUR", 41.9028, 12.4964, 2},
	{"Prague", "CZ", "Europe/Prague", "CZK", 50.0755, 14.4378, 1.5},
	{"Warsaw", "PL", "Europe/Warsaw", "PLN", 52.2297, 21.0122, 1.5},
	{"Singapore", "SG", "Asia/Singapore", "SGD", 1.3521, 103.8198, 3},
	{"Seoul", "KR", "Asia/Seoul", "KRW", 37.5665, 126.9780, 3},
	{"Bangalore", "IN", "Asia/Kolkata", "INR", 12.9716, 77.5946, 3},
	{"Mumbai", "IN", "Asia/Kolkata", "INR", 19.0760, 72.8777, 2},
	{"São Paulo", "BR", "America/Sao_Paulo", "BRL", -23.5505, -46.6333, 3},
	{"Mexico City", "MX", "America/Mexico_City", "MXN", 19.4326, -99.1332, 2},
	{"Buenos Aires", "AR", "America/Argentina/Buenos_Aires", "ARS", -34.6037, -58.3816, 1.5},
	{"Cape Town", "ZA", "Africa/Johannesburg", "ZAR", -33.9249, 18.4241, 1},
	{"Nairobi", "KE", "Africa/Nairobi", "KES", -1.2921, 36.8219, 1},
	{"Lagos", "NG", "Africa/Lagos", "NGN", 6.5244, 3.3792, 1},
	{"Dubai", "AE", "Asia/Dubai", "AED", 25.2048, 55.2708, 1.5},
	{"Tel Aviv", "IL", "Asia/Jerusalem", "ILS", 32.0853, 34.7818, 1.5},
}

type category struct {
	name   string
	weight float64 // relative popularity: technology and music dominate, as on real sites
	topics []string
	kinds  []string
	tags   []string // most popular first
	venues []string
	blurbs []string
}

var categories = []category{
	{"technology", 24,
		[]string{"Go", "Rust", "AI", "Machine Learning", "Cloud Native", "Kubernetes", "Data Engineering", "DevOps", "Security", "Frontend", "Startup", "Open Source", "Python", "Web3", "Product Design"},
		[]string{"Meetup", "Conference", "Workshop", "Summit", "Hackathon", "Night", "Day", "Bootcamp"},
		[]string{"ai", "cloud", "startups", "golang", "kubernetes", "data", "python", "security", "devops", "rust", "frontend", "opensource"},
		[]string{"Tech Hub", "Innovation Lab", "Campus", "Convention Center", "Coworking Loft"},
		[]string{"Talks from practitioners, live demos and plenty of time for questions.", "Hands-on sessions: bring a laptop.", "Lightning talks followed by networking and pizza.", "Deep dives into production stories, failures included."}},
	{"music", 22,
		[]string{"Jazz", "Techno", "Indie", "Classical", "Hip Hop", "Folk", "Electronic", "Rock", "Soul", "Latin", "Piano", "Choir"},
		[]string{"Night", "Festival", "Showcase", "Concert", "Session", "Live", "Open Air", "Rave"},
		[]string{"live", "electronic", "jazz", "indie", "festival", "classical", "dj", "rock", "acoustic", "hiphop"},
		[]string{"Club", "Concert Hall", "Jazz Bar", "Warehouse", "Park Stage"},
		[]string{"An evening of live music with local and touring artists.", "Doors open an hour before the first set.", "Dance until late: the best DJs of the season.", "Acoustic sets in an intimate room."}},
	{"food", 12,
		[]string{"Street Food", "Wine", "Coffee", "Vegan", "Sushi", "Craft Beer", "Cheese", "Baking", "BBQ", "Ramen"},
		[]string{"Festival", "Tasting", "Class", "Market", "Pop-up", "Brunch", "Tour"},
		[]string{"tasting", "street-food", "wine", "vegan", "coffee", "beer", "cooking", "brunch"},
		[]string{"Market Hall", "Kitchen Studio", "Wine Bar", "Brewery", "Rooftop"},
		[]string{"Taste your way through the city's best kitchens.", "Small groups, generous pours.", "Learn from chefs and take the recipes home."}},
	{"sports", 10,
		[]string{"Marathon", "Yoga", "Climbing", "Football", "Cycling", "Running", "Tennis", "Swimming", "Basketball", "Trail"},
		[]string{"Meetup", "Session", "Tour", "Race", "Class", "League Night", "Challenge"},
		[]string{"fitness", "outdoors", "running", "wellness", "team", "cycling", "yoga"},
		[]string{"Park", "Sports Center", "Stadium", "Climbing Gym", "Riverside"},
		[]string{"All levels welcome; warm-up included.", "Meet at the entrance, we start on time.", "Friendly competition and a drink afterwards."}},
	{"arts", 10,
		[]string{"Gallery", "Photography", "Theatre", "Poetry", "Design", "Film", "Comedy", "Dance", "Sculpture", "Street Art"},
		[]string{"Opening", "Walk", "Premiere", "Slam", "Week", "Screening", "Exhibition", "Night"},
		[]string{"exhibition", "photography", "theatre", "design", "film", "comedy", "poetry"},
		[]string{"Gallery", "Theatre", "Cinema", "Museum", "Studio"},
		[]string{"Meet the artists at the opening night.", "A guided walk with a photographer.", "New work from emerging voices."}},
	{"business", 9,
		[]string{"Founders", "Marketing", "Leadership", "Sales", "Product", "Finance", "HR", "Growth", "Fundraising", "Remote Work"},
		[]string{"Breakfast", "Summit", "Forum", "Mixer", "Meetup", "Masterclass", "Roundtable"},
		[]string{"networking", "startups", "marketing", "leadership", "product", "founders", "growth"},
		[]string{"Business Club", "Hotel Ballroom", "Coworking Space", "Conference Center"},
		[]string{"Panels with operators who have done it before.", "Structured networking with peers.", "Practical frameworks you can use on Monday."}},
	{"education", 6,
		[]string{"Language Exchange", "History", "Science", "Philosophy", "Writing", "Public Speaking", "Math", "Astronomy"},
		[]string{"Lecture", "Course", "Club", "Workshop", "Evening", "Study Group"},
		[]string{"learning", "languages", "science", "books", "writing", "talks"},
		[]string{"Library", "University Hall", "Community Center", "Bookshop"},
		[]string{"A talk followed by an open discussion.", "Practice with native speakers.", "Bring questions; no background needed."}},
	{"community", 5,
		[]string{"Board Games", "Volunteering", "Parents", "Gardening", "Book Club", "Pets", "Newcomers", "Neighbourhood"},
		[]string{"Meetup", "Afternoon", "Picnic", "Social", "Gathering", "Fair"},
		[]string{"social", "family", "games", "volunteering", "outdoors", "books"},
		[]string{"Community Center", "Café", "Park", "Town Hall"},
		[]string{"Come as you are and meet your neighbours.", "Snacks provided, bring a friend.", "A relaxed afternoon for all ages."}},
	{"health", 2,
		[]string{"Mindfulness", "Nutrition", "Mental Health", "Meditation", "Pilates", "Breathwork"},
		[]string{"Session", "Retreat", "Workshop", "Circle", "Class"},
		[]string{"wellness", "meditation", "health", "mindfulness", "nutrition"},
		[]string{"Studio", "Wellness Center", "Retreat House"},
		[]string{"Slow down and reset.", "Led by certified practitioners."}},
}
