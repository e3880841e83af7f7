package seed

// The vocabulary of the generated data: real cities with their coordinates and time zones,
// categories with skewed popularity, and title, tag and description parts per category.

type city struct {
	name, country, tz, currency string
	lat, lng                    float64
	weight                      float64 // relative share of events and users
	// prices is what a ticket worth one US dollar at US prices costs here, in the local
	// currency: the exchange rate times the local price level.
	prices    float64
	districts []district
}

// district is a neighbourhood where events take place: a street in it and its centre.
type district struct {
	street   string
	lat, lng float64
}

var cities = []city{
	{"London", "GB", "Europe/London", "GBP", 51.5074, -0.1278, 10, 0.8, []district{
		{"Wardour Street", 51.5136, -0.1340}, {"Curtain Road", 51.5246, -0.0803}, {"Belvedere Road", 51.5045, -0.1165}, {"Camden High Street", 51.5390, -0.1426}}},
	{"New York", "US", "America/New_York", "USD", 40.7128, -74.0060, 10, 1.1, []district{
		{"West 44th Street", 40.7570, -73.9860}, {"Bedford Avenue", 40.7178, -73.9573}, {"West 23rd Street", 40.7440, -73.9960}, {"Delancey Street", 40.7185, -73.9880}}},
	{"San Francisco", "US", "America/Los_Angeles", "USD", 37.7749, -122.4194, 7, 1.1, []district{
		{"Valencia Street", 37.7599, -122.4214}, {"Howard Street", 37.7810, -122.4030}, {"Hayes Street", 37.7765, -122.4240}, {"Columbus Avenue", 37.7990, -122.4080}}},
	{"Berlin", "DE", "Europe/Berlin", "EUR", 52.5200, 13.4050, 7, 0.8, []district{
		{"Torstraße", 52.5290, 13.4010}, {"Oranienstraße", 52.5010, 13.4190}, {"Revaler Straße", 52.5070, 13.4540}, {"Kastanienallee", 52.5380, 13.4090}}},
	{"Paris", "FR", "Europe/Paris", "EUR", 48.8566, 2.3522, 7, 0.9, []district{
		{"Rue de Bretagne", 48.8630, 2.3610}, {"Rue des Abbesses", 48.8845, 2.3380}, {"Rue de la Roquette", 48.8560, 2.3740}, {"Boulevard Saint-Germain", 48.8530, 2.3340}}},
	{"Tokyo", "JP", "Asia/Tokyo", "JPY", 35.6762, 139.6503, 6, 110, []district{
		{"Dogenzaka", 35.6580, 139.6980}, {"Nishi-Shinjuku", 35.6900, 139.6920}, {"Roppongi", 35.6630, 139.7310}, {"Ginza", 35.6717, 139.7650}}},
	{"Toronto", "CA", "America/Toronto", "CAD", 43.6532, -79.3832, 4, 1.3, []district{
		{"King Street West", 43.6455, -79.3950}, {"Mill Street", 43.6503, -79.3596}, {"Augusta Avenue", 43.6545, -79.4005}, {"Bloor Street West", 43.6700, -79.3930}}},
	{"Sydney", "AU", "Australia/Sydney", "AUD", -33.8688, 151.2093, 4, 1.5, []district{
		{"Crown Street", -33.8860, 151.2110}, {"King Street", -33.8970, 151.1790}, {"George Street", -33.8620, 151.2075}, {"Oxford Street", -33.8790, 151.2170}}},
	{"Amsterdam", "NL", "Europe/Amsterdam", "EUR", 52.3676, 4.9041, 4, 0.9, []district{
		{"Westerstraat", 52.3780, 4.8800}, {"Ferdinand Bolstraat", 52.3540, 4.8930}, {"Zeedijk", 52.3745, 4.9000}, {"Javastraat", 52.3640, 4.9380}}},
	{"Lisbon", "PT", "Europe/Lisbon", "EUR", 38.7223, -9.1393, 3, 0.6, []district{
		{"Rua Augusta", 38.7120, -9.1370}, {"Rua da Rosa", 38.7135, -9.1450}, {"Rua de São Miguel", 38.7125, -9.1300}, {"Avenida da Liberdade", 38.7200, -9.1450}}},
	{"Madrid", "ES", "Europe/Madrid", "EUR", 40.4168, -3.7038, 3, 0.7, []district{
		{"Calle de Fuencarral", 40.4260, -3.7020}, {"Calle de Argumosa", 40.4080, -3.6980}, {"Calle de Serrano", 40.4300, -3.6870}, {"Gran Vía", 40.4200, -3.7050}}},
	{"Barcelona", "ES", "Europe/Madrid", "EUR", 41.3874, 2.1686, 3, 0.7, []district{
		{"Carrer Gran de Gràcia", 41.4020, 2.1530}, {"Carrer de la Princesa", 41.3860, 2.1800}, {"Passeig de Gràcia", 41.3930, 2.1640}, {"Carrer de Joaquín Costa", 41.3830, 2.1660}}},
	{"Chicago", "US", "America/Chicago", "USD", 41.8781, -87.6298, 4, 1, []district{
		{"West Madison Street", 41.8820, -87.6330}, {"North Milwaukee Avenue", 41.9090, -87.6770}, {"West Hubbard Street", 41.8900, -87.6310}, {"West 18th Street", 41.8570, -87.6600}}},
	{"Austin", "US", "America/Chicago", "USD", 30.2672, -97.7431, 3, 1, []district{
		{"Congress Avenue", 30.2680, -97.7430}, {"East 6th Street", 30.2640, -97.7290}, {"South Congress Avenue", 30.2500, -97.7490}, {"Duval Street", 30.3050, -97.7260}}},
	{"Seattle", "US", "America/Los_Angeles", "USD", 47.6062, -122.3321, 3, 1.1, []district{
		{"Pike Street", 47.6140, -122.3200}, {"Fremont Avenue North", 47.6510, -122.3500}, {"Ballard Avenue NW", 47.6670, -122.3840}, {"1st Avenue South", 47.6010, -122.3340}}},
	{"Los Angeles", "US", "America/Los_Angeles", "USD", 34.0522, -118.2437, 5, 1.1, []district{
		{"South Spring Street", 34.0480, -118.2500}, {"Hollywood Boulevard", 34.1016, -118.3300}, {"Sunset Boulevard", 34.0870, -118.2700}, {"East 3rd Street", 34.0450, -118.2340}}},
	{"Boston", "US", "America/New_York", "USD", 42.3601, -71.0589, 3, 1.1, []district{
		{"Boylston Street", 42.3490, -71.0790}, {"Seaport Boulevard", 42.3510, -71.0440}, {"Tremont Street", 42.3430, -71.0710}, {"Hanover Street", 42.3640, -71.0540}}},
	{"Dublin", "IE", "Europe/Dublin", "EUR", 53.3498, -6.2603, 2, 0.9, []district{
		{"Dame Street", 53.3440, -6.2640}, {"South Richmond Street", 53.3330, -6.2650}, {"Grand Canal Quay", 53.3400, -6.2380}, {"Queen Street", 53.3480, -6.2780}}},
	{"Stockholm", "SE", "Europe/Stockholm", "SEK", 59.3293, 18.0686, 2, 10, []district{
		{"Götgatan", 59.3150, 18.0720}, {"Drottninggatan", 59.3340, 18.0620}, {"Karlavägen", 59.3380, 18.0800}, {"Odengatan", 59.3430, 18.0500}}},
	{"Copenhagen", "DK", "Europe/Copenhagen", "DKK", 55.6761, 12.5683, 2, 7.5, []district{
		{"Jægersborggade", 55.6920, 12.5420}, {"Istedgade", 55.6690, 12.5520}, {"Frederiksberggade", 55.6770, 12.5720}, {"Torvegade", 55.6730, 12.5900}}},
	{"Munich", "DE", "Europe/Berlin", "EUR", 48.1351, 11.5820, 2, 0.9, []district{
		{"Amalienstraße", 48.1500, 11.5800}, {"Müllerstraße", 48.1310, 11.5700}, {"Leopoldstraße", 48.1620, 11.5860}, {"Weißenburger Straße", 48.1290, 11.5970}}},
	{"Hamburg", "DE", "Europe/Berlin", "EUR", 53.5511, 9.9937, 2, 0.85, []district{
		{"Reeperbahn", 53.5500, 9.9600}, {"Schulterblatt", 53.5630, 9.9620}, {"Am Sandtorkai", 53.5435, 9.9900}, {"Ottenser Hauptstraße", 53.5520, 9.9300}}},
	{"Vienna", "AT", "Europe/Vienna", "EUR", 48.2082, 16.3738, 2, 0.85, []district{
		{"Kärntner Straße", 48.2050, 16.3710}, {"Neubaugasse", 48.2010, 16.3500}, {"Praterstraße", 48.2140, 16.3860}, {"Mariahilfer Straße", 48.1970, 16.3450}}},
	{"Zurich", "CH", "Europe/Zurich", "CHF", 47.3769, 8.5417, 2, 1.2, []district{
		{"Niederdorfstrasse", 47.3730, 8.5440}, {"Limmatstrasse", 47.3870, 8.5300}, {"Seefeldstrasse", 47.3560, 8.5530}, {"Birmensdorferstrasse", 47.3700, 8.5200}}},
	{"Milan", "IT", "Europe/Rome", "EUR", 45.4642, 9.1900, 2, 0.8, []district{
		{"Via Brera", 45.4720, 9.1880}, {"Alzaia Naviglio Grande", 45.4520, 9.1750}, {"Via Borsieri", 45.4880, 9.1900}, {"Corso Buenos Aires", 45.4800, 9.2100}}},
	{"Rome", "IT", "Europe/Rome", "EUR", 41.9028, 12.4964, 2, 0.75, []district{
		{"Via della Lungaretta", 41.8890, 12.4700}, {"Via del Boschetto", 41.8960, 12.4910}, {"Via Marmorata", 41.8780, 12.4780}, {"Via del Corso", 41.9010, 12.4800}}},
	{"Prague", "CZ", "Europe/Prague", "CZK", 50.0755, 14.4378, 1.5, 14, []district{
		{"Celetná", 50.0870, 14.4240}, {"Vinohradská", 50.0770, 14.4450}, {"Dukelských hrdinů", 50.1000, 14.4340}, {"Nerudova", 50.0880, 14.4000}}},
	{"Warsaw", "PL", "Europe/Warsaw", "PLN", 52.2297, 21.0122, 1.5, 2.5, []district{
		{"Nowy Świat", 52.2330, 21.0180}, {"Ząbkowska", 52.2520, 21.0420}, {"Puławska", 52.2000, 21.0230}, {"Chłodna", 52.2380, 20.9920}}},
	{"Singapore", "SG", "Asia/Singapore", "SGD", 1.3521, 103.8198, 3, 1.4, []district{
		{"Bayfront Avenue", 1.2830, 103.8600}, {"Tras Street", 1.2770, 103.8440}, {"Victoria Street", 1.3000, 103.8550}, {"Orchard Road", 1.3040, 103.8320}}},
	{"Seoul", "KR", "Asia/Seoul", "KRW", 37.5665, 126.9780, 3, 1100, []district{
		{"Teheran-ro", 37.5006, 127.0364}, {"Wausan-ro", 37.5563, 126.9236}, {"Itaewon-ro", 37.5345, 126.9946}, {"Jong-ro", 37.5704, 126.9920}}},
	{"Bangalore", "IN", "Asia/Kolkata", "INR", 12.9716, 77.5946, 3, 30, []district{
		{"80 Feet Road, Koramangala", 12.9350, 77.6240}, {"100 Feet Road, Indiranagar", 12.9720, 77.6410}, {"MG Road", 12.9750, 77.6070}, {"11th Main Road, Jayanagar", 12.9300, 77.5830}}},
	{"Mumbai", "IN", "Asia/Kolkata", "INR", 19.0760, 72.8777, 2, 30, []district{
		{"Hill Road, Bandra West", 19.0550, 72.8350}, {"Mahatma Gandhi Road, Fort", 18.9310, 72.8330}, {"Senapati Bapat Marg", 19.0000, 72.8250}, {"Veera Desai Road", 19.1320, 72.8350}}},
	{"São Paulo", "BR", "America/Sao_Paulo", "BRL", -23.5505, -46.6333, 3, 3, []district{
		{"Rua Aspicuelta", -23.5560, -46.6890}, {"Avenida Paulista", -23.5630, -46.6540}, {"Rua dos Pinheiros", -23.5660, -46.6830}, {"Rua Augusta", -23.5500, -46.6500}}},
	{"Mexico City", "MX", "America/Mexico_City", "MXN", 19.4326, -99.1332, 2, 10, []district{
		{"Avenida Álvaro Obregón", 19.4170, -99.1620}, {"Avenida Amsterdam", 19.4120, -99.1700}, {"Calle Madero", 19.4330, -99.1370}, {"Calle Francisco Sosa", 19.3480, -99.1680}}},
	{"Buenos Aires", "AR", "America/Argentina/Buenos_Aires", "ARS", -34.6037, -58.3816, 1.5, 500, []district{
		{"Honduras", -34.5880, -58.4300}, {"Defensa", -34.6200, -58.3720}, {"Avenida Alvear", -34.5870, -58.3880}}},
	{"Cape Town", "ZA", "Africa/Johannesburg", "ZAR", -33.9249, 18.4241, 1, 10, []district{
		{"Long Street", -33.9220, 18.4170}, {"Albert Road", -33.9270, 18.4450}, {"Kloof Street", -33.9320, 18.4110}}},
	{"Nairobi", "KE", "Africa/Nairobi", "KES", -1.2921, 36.8219, 1, 60, []district{
		{"Kenyatta Avenue", -1.2860, 36.8200}, {"Waiyaki Way", -1.2650, 36.8030}, {"Argwings Kodhek Road", -1.2920, 36.7850}}},
	{"Lagos", "NG", "Africa/Lagos", "NGN", 6.5244, 3.3792, 1, 600, []district{
		{"Adeola Odeku Street", 6.4290, 3.4210}, {"Awolowo Road", 6.4470, 3.4300}, {"Admiralty Way", 6.4470, 3.4700}, {"Herbert Macaulay Way", 6.5100, 3.3750}}},
	{"Dubai", "AE", "Asia/Dubai", "AED", 25.2048, 55.2708, 1.5, 4, []district{
		{"Sheikh Mohammed bin Rashid Boulevard", 25.1950, 55.2780}, {"Gate Avenue", 25.2130, 55.2820}, {"Al Fahidi Street", 25.2630, 55.2970}, {"Alserkal Avenue", 25.1420, 55.2260}}},
	{"Tel Aviv", "IL", "Asia/Jerusalem", "ILS", 32.0853, 34.7818, 1.5, 4, []district{
		{"Rothschild Boulevard", 32.0640, 34.7740}, {"Florentin Street", 32.0560, 34.7680}, {"Dizengoff Street", 32.0800, 34.7740}, {"Shabazi Street", 32.0610, 34.7660}}},
}

// numberLast: countries that write the house number after the street name.
var numberLast = map[string]bool{"DE": true, "AT": true, "CH": true, "NL": true, "SE": true, "DK": true,
	"CZ": true, "PL": true, "ES": true, "IT": true, "PT": true, "BR": true, "AR": true, "MX": true}

type category struct {
	name   string
	weight float64 // relative popularity: technology and music dominate, as on real sites
	topics []string
	kinds  []kind
	tags   []string // most popular first
	venues []string
	blurbs []string
}

var categories = []category{
	{"technology", 24,
		[]string{"Go", "Rust", "AI", "Machine Learning", "Cloud Native", "Kubernetes", "Data Engineering", "DevOps", "Security", "Frontend", "Startup", "Open Source", "Python", "Web3", "Product Design"},
		[]kind{{"Meetup", hm(18, 0), hm(19, 30), 0, 0, 120, 180, &talk}, {"Conference", hm(9, 0), hm(10, 0), 0, 0, 420, 540, &conference},
			{"Workshop", hm(9, 0), hm(10, 0), 0, 0, 180, 420, &class}, {"Summit", hm(9, 0), hm(10, 0), 0, 0, 420, 540, &conference},
			{"Hackathon", hm(9, 0), hm(10, 0), 1, 1, 0, 540, &hackathon}, {"Night", hm(18, 0), hm(19, 30), 0, 0, 150, 210, &talk},
			{"Day", hm(9, 0), hm(10, 0), 0, 0, 420, 540, &conference}, {"Bootcamp", hm(9, 0), hm(10, 0), 0, 0, 360, 480, &class}},
		[]string{"ai", "cloud", "startups", "golang", "kubernetes", "data", "python", "security", "devops", "rust", "frontend", "opensource"},
		[]string{"Tech Hub", "Innovation Lab", "Campus", "Convention Center", "Coworking Loft"},
		[]string{"Talks from practitioners, live demos and plenty of time for questions.", "Hands-on sessions: bring a laptop.", "Lightning talks followed by networking and pizza.", "Deep dives into production stories, failures included."}},
	{"music", 22,
		[]string{"Jazz", "Techno", "Indie", "Classical", "Hip Hop", "Folk", "Electronic", "Rock", "Soul", "Latin", "Piano", "Choir"},
		[]kind{{"Night", hm(20, 0), hm(22, 0), 0, 0, 180, 300, &show}, {"Festival", hm(12, 0), hm(15, 0), 0, 0, 480, 660, &festival},
			{"Showcase", hm(19, 0), hm(21, 0), 0, 0, 120, 240, &show}, {"Concert", hm(19, 0), hm(21, 0), 0, 0, 120, 180, &show},
			{"Session", hm(19, 0), hm(21, 30), 0, 0, 120, 180, &show}, {"Live", hm(19, 0), hm(21, 30), 0, 0, 120, 180, &show},
			{"Open Air", hm(14, 0), hm(17, 0), 0, 0, 240, 420, &festival}, {"Rave", hm(21, 0), hm(22, 0), 0, 0, 300, 420, &show}},
		[]string{"live", "electronic", "jazz", "indie", "festival", "classical", "dj", "rock", "acoustic", "hiphop"},
		[]string{"Club", "Concert Hall", "Jazz Bar", "Warehouse", "Park Stage"},
		[]string{"An evening of live music with local and touring artists.", "Doors open an hour before the first set.", "Dance until late: the best DJs of the season.", "Acoustic sets in an intimate room."}},
	{"food", 12,
		[]string{"Street Food", "Wine", "Coffee", "Vegan", "Sushi", "Craft Beer", "Cheese", "Baking", "BBQ", "Ramen"},
		[]kind{{"Festival", hm(11, 0), hm(13, 0), 0, 0, 360, 540, &festival}, {"Tasting", hm(18, 0), hm(19, 30), 0, 0, 120, 180, &class},
			{"Class", hm(17, 30), hm(19, 0), 0, 0, 150, 180, &class}, {"Market", hm(9, 0), hm(11, 0), 0, 0, 300, 420, &market},
			{"Pop-up", hm(18, 0), hm(20, 0), 0, 0, 180, 240, &talk}, {"Brunch", hm(10, 0), hm(11, 30), 0, 0, 120, 180, &class},
			{"Tour", hm(11, 0), hm(15, 0), 0, 0, 150, 210, &class}},
		[]string{"tasting", "street-food", "wine", "vegan", "coffee", "beer", "cooking", "brunch"},
		[]string{"Market Hall", "Kitchen Studio", "Wine Bar", "Brewery", "Rooftop"},
		[]string{"Taste your way through the city's best kitchens.", "Small groups, generous pours.", "Learn from chefs and take the recipes home."}},
	{"sports", 10,
		[]string{"Marathon", "Yoga", "Climbing", "Football", "Cycling", "Running", "Tennis", "Swimming", "Basketball", "Trail"},
		[]kind{{"Meetup", hm(8, 0), hm(10, 0), 0, 0, 90, 150, &sport}, {"Session", hm(7, 0), hm(10, 0), 0, 0, 60, 120, &sport},
			{"Tour", hm(9, 0), hm(11, 0), 0, 0, 180, 300, &sport}, {"Race", hm(7, 30), hm(9, 30), 0, 0, 180, 360, &race},
			{"Class", hm(9, 0), hm(12, 0), 0, 0, 60, 90, &class}, {"League Night", hm(18, 30), hm(20, 0), 0, 0, 120, 180, &sport},
			{"Challenge", hm(9, 0), hm(11, 0), 0, 0, 180, 300, &sport}},
		[]string{"fitness", "outdoors", "running", "wellness", "team", "cycling", "yoga"},
		[]string{"Park", "Sports Center", "Stadium", "Climbing Gym", "Riverside"},
		[]string{"All levels welcome; warm-up included.", "Meet at the entrance, we start on time.", "Friendly competition and a drink afterwards."}},
	{"arts", 10,
		[]string{"Gallery", "Photography", "Theatre", "Poetry", "Design", "Film", "Comedy", "Dance", "Sculpture", "Street Art"},
		[]kind{{"Opening", hm(18, 0), hm(19, 30), 0, 0, 150, 210, &exhibit}, {"Walk", hm(10, 0), hm(15, 0), 0, 0, 120, 180, &class},
			{"Premiere", hm(19, 0), hm(20, 30), 0, 0, 150, 210, &show}, {"Slam", hm(19, 30), hm(21, 0), 0, 0, 120, 180, &show},
			{"Week", hm(10, 0), hm(11, 0), 6, 6, 420, 480, &exhibit}, {"Screening", hm(19, 0), hm(21, 0), 0, 0, 120, 180, &show},
			{"Exhibition", hm(10, 0), hm(11, 0), 0, 0, 420, 480, &exhibit}, {"Night", hm(19, 0), hm(21, 0), 0, 0, 180, 240, &show}},
		[]string{"exhibition", "photography", "theatre", "design", "film", "comedy", "poetry"},
		[]string{"Gallery", "Theatre", "Cinema", "Museum", "Studio"},
		[]string{"Meet the artists at the opening night.", "A guided walk with a photographer.", "New work from emerging voices."}},
	{"business", 9,
		[]string{"Founders", "Marketing", "Leadership", "Sales", "Product", "Finance", "HR", "Growth", "Fundraising", "Remote Work"},
		[]kind{{"Breakfast", hm(7, 30), hm(8, 30), 0, 0, 90, 120, &class}, {"Summit", hm(9, 0), hm(10, 0), 0, 0, 420, 540, &conference},
			{"Forum", hm(9, 0), hm(10, 0), 0, 0, 360, 480, &conference}, {"Mixer", hm(18, 0), hm(19, 30), 0, 0, 120, 180, &talk},
			{"Meetup", hm(18, 0), hm(19, 30), 0, 0, 120, 180, &talk}, {"Masterclass", hm(10, 0), hm(14, 0), 0, 0, 120, 240, &class},
			{"Roundtable", hm(8, 30), hm(12, 0), 0, 0, 90, 120, &class}},
		[]string{"networking", "startups", "marketing", "leadership", "product", "founders", "growth"},
		[]string{"Business Club", "Hotel Ballroom", "Coworking Space", "Conference Center"},
		[]string{"Panels with operators who have done it before.", "Structured networking with peers.", "Practical frameworks you can use on Monday."}},
	{"education", 6,
		[]string{"Language Exchange", "History", "Science", "Philosophy", "Writing", "Public Speaking", "Math", "Astronomy"},
		[]kind{{"Lecture", hm(18, 0), hm(19, 30), 0, 0, 60, 120, &talk}, {"Course", hm(9, 0), hm(10, 0), 0, 0, 360, 480, &class},
			{"Club", hm(18, 0), hm(19, 30), 0, 0, 90, 120, &community}, {"Workshop", hm(9, 0), hm(10, 0), 0, 0, 180, 360, &class},
			{"Evening", hm(18, 30), hm(19, 30), 0, 0, 120, 180, &talk}, {"Study Group", hm(17, 0), hm(19, 0), 0, 0, 90, 150, &community}},
		[]string{"learning", "languages", "science", "books", "writing", "talks"},
		[]string{"Library", "University Hall", "Community Center", "Bookshop"},
		[]string{"A talk followed by an open discussion.", "Practice with native speakers.", "Bring questions; no background needed."}},
	{"community", 5,
		[]string{"Board Games", "Volunteering", "Parents", "Gardening", "Book Club", "Pets", "Newcomers", "Neighbourhood"},
		[]kind{{"Meetup", hm(18, 0), hm(19, 30), 0, 0, 120, 180, &community}, {"Afternoon", hm(13, 0), hm(15, 0), 0, 0, 120, 240, &community},
			{"Picnic", hm(11, 0), hm(13, 0), 0, 0, 180, 240, &community}, {"Social", hm(18, 0), hm(20, 0), 0, 0, 120, 180, &community},
			{"Gathering", hm(14, 0), hm(18, 0), 0, 0, 120, 180, &community}, {"Fair", hm(10, 0), hm(11, 0), 0, 0, 360, 480, &market}},
		[]string{"social", "family", "games", "volunteering", "outdoors", "books"},
		[]string{"Community Center", "Café", "Park", "Town Hall"},
		[]string{"Come as you are and meet your neighbours.", "Snacks provided, bring a friend.", "A relaxed afternoon for all ages."}},
	{"health", 2,
		[]string{"Mindfulness", "Nutrition", "Mental Health", "Meditation", "Pilates", "Breathwork"},
		[]kind{{"Session", hm(7, 30), hm(10, 0), 0, 0, 60, 90, &class}, {"Retreat", hm(9, 0), hm(10, 0), 1, 2, 420, 480, &retreat},
			{"Workshop", hm(9, 0), hm(10, 0), 0, 0, 180, 360, &class}, {"Circle", hm(18, 30), hm(19, 30), 0, 0, 90, 120, &class},
			{"Class", hm(9, 0), hm(12, 0), 0, 0, 60, 90, &class}},
		[]string{"wellness", "meditation", "health", "mindfulness", "nutrition"},
		[]string{"Studio", "Wellness Center", "Retreat House"},
		[]string{"Slow down and reset.", "Led by certified practitioners."}},
}

// kind is a kind of event of a category, as its titles name it, with when it plausibly
// starts (local time, on the quarter hour between from and to), how long it lasts (over
// days whole days and between minFor and maxFor minutes more) and its tickets and seats.
type kind struct {
	name             string
	from, to         int // minutes after local midnight
	minDays, maxDays int
	minFor, maxFor   int // minutes
	*tickets
}

func hm(h, m int) int { return 60*h + m }

// tickets: how often a kind of event is free, what a ticket costs at US prices (the
// median of a log-normal), and how many seats it has.
type tickets struct {
	free               float64
	price              float64
	minSeats, maxSeats int
}

var (
	talk       = tickets{0.7, 10, 30, 200}
	class      = tickets{0.1, 35, 8, 30}
	conference = tickets{0.05, 180, 150, 2000}
	hackathon  = tickets{0.6, 20, 50, 300}
	show       = tickets{0.1, 25, 80, 1500}
	festival   = tickets{0.2, 50, 1000, 20000}
	market     = tickets{0.85, 5, 200, 3000}
	sport      = tickets{0.6, 12, 15, 80}
	race       = tickets{0.05, 50, 300, 5000}
	exhibit    = tickets{0.6, 12, 50, 500}
	community  = tickets{0.85, 8, 15, 100}
	retreat    = tickets{0, 250, 10, 40}
)

// People's names: generated users are drawn from these, from many places as the cities are.
var (
	firstNames = []string{"Olivia", "Liam", "Emma", "Noah", "Sofia", "Lucas", "Mia", "Mateo", "Hannah", "Leon", "Chloe", "Hugo",
		"Yuki", "Haruto", "Ji-woo", "Min-jun", "Priya", "Arjun", "Ananya", "Rohan", "Camila", "Diego", "Valentina", "Santiago",
		"Amara", "Tunde", "Wanjiru", "Kofi", "Noa", "Eitan", "Layla", "Omar", "Freja", "Oskar", "Zofia", "Jakub", "Giulia",
		"Marco", "Ines", "Tiago", "Sarah", "James", "Grace", "Daniel", "Aoife", "Sean", "Lena", "Felix", "Chen", "Mei"}
	lastNames = []string{"Smith", "Johnson", "Garcia", "Martinez", "Müller", "Schmidt", "Dubois", "Martin", "Tanaka", "Sato",
		"Kim", "Park", "Sharma", "Patel", "Silva", "Santos", "Hernández", "López", "Okafor", "Mensah", "Kamau", "Cohen",
		"Levi", "Haddad", "Andersson", "Jensen", "Nowak", "Novák", "Rossi", "Bianchi", "Ferreira", "Costa", "Murphy",
		"O'Brien", "Brown", "Wilson", "Taylor", "Wagner", "Lee", "Wang"}
)
