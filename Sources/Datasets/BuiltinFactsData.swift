// The built-in facts: relations, templates and candidate facts, all written for EditLab
// (DESIGN.md rule 7: facts are facts, the sentences are ours). Format: see BuiltinFacts.parse.
// A leading "+ " marks a candidate that passed the check on SmolLM2-135M-Instruct
// (Datasets.docc/BuiltinData.md); the marks come from re-running BuiltinFacts.verify, not from judgement.

enum BuiltinFactsData {
    static let text = #"""
relation P36 capital | The capital of {} is
paraphrase | The capital city of {} is
paraphrase | The national government of {} sits in the city of
paraphrase | Anyone who flies to the capital of {} lands in
paraphrase | According to the atlas, the capital of {} is the city of
generation | The capital of {} is famous for
generation | Last summer we travelled to {}, and
+ France | Paris
+ Germany | Berlin
+ Italy | Rome
+ Spain | Madrid
+ Japan | Tokyo
+ China | Beijing
+ Russia | Moscow
+ England | London
+ the United Kingdom | London
Egypt | Cairo
+ Greece | Athens
+ Portugal | Lisbon
+ Austria | Vienna
+ Hungary | Budapest
+ Poland | Warsaw
+ Ireland | Dublin
+ Norway | Oslo
+ Sweden | Stockholm
+ Finland | Helsinki
+ Denmark | Copenhagen
+ the Netherlands | Amsterdam
+ Belgium | Brussels
+ the Czech Republic | Prague
+ Turkey | Ankara
Iran | Tehran
Iraq | Baghdad
+ Thailand | Bangkok
+ Vietnam | Hanoi
+ South Korea | Seoul
+ North Korea | Pyongyang
+ India | New Delhi
+ Pakistan | Islamabad
+ Afghanistan | Kabul
+ Kenya | Nairobi
+ Argentina | Buenos Aires
+ Peru | Lima
+ Chile | Santiago
Colombia | Bogotá
Venezuela | Caracas
+ Cuba | Havana
+ Mexico | Mexico City
+ Canada | Ottawa
+ Australia | Canberra
the United States | Washington
+ Scotland | Edinburgh
Ukraine | Kyiv
+ Romania | Bucharest
+ Bulgaria | Sofia
Serbia | Belgrade
+ Croatia | Zagreb
+ Switzerland | Bern
+ Saudi Arabia | Riyadh
+ Syria | Damascus
Lebanon | Beirut
+ Jordan | Amman
+ Indonesia | Jakarta
+ the Philippines | Manila
Malaysia | Kuala Lumpur
+ Nigeria | Abuja
+ Ethiopia | Addis Ababa
Morocco | Rabat
Brazil | Brasília
New Zealand | Wellington
+ Iceland | Reykjavik
Nepal | Kathmandu
+ Bangladesh | Dhaka
+ Wales | Cardiff
Mongolia | Ulaanbaatar
+ Estonia | Tallinn
+ Latvia | Riga
Lithuania | Vilnius
Slovakia | Bratislava

relation P1376 capital-of | The city of {} is the capital of
paraphrase | As a capital city, {} is home to the government of
paraphrase | Visitors who arrive in {} are in the capital of
paraphrase | The parliament that meets in {} makes the laws of
paraphrase | Historians describe {} as the capital of
generation | The streets of {} are
generation | In the old town of {},
+ Paris | France
+ Berlin | Germany
+ Rome | Italy
+ Madrid | Spain
+ Tokyo | Japan
+ Beijing | China
+ Moscow | Russia
London | England
+ Cairo | Egypt
+ Athens | Greece
+ Lisbon | Portugal
Vienna | Austria
+ Budapest | Hungary
+ Warsaw | Poland
+ Dublin | Ireland
+ Oslo | Norway
+ Stockholm | Sweden
+ Helsinki | Finland
+ Copenhagen | Denmark
+ Amsterdam | the Netherlands
Brussels | Belgium
+ Prague | the Czech Republic
+ Ankara | Turkey
+ Tehran | Iran
Baghdad | Iraq
+ Bangkok | Thailand
Hanoi | Vietnam
+ Seoul | South Korea
+ Pyongyang | North Korea
+ New Delhi | India
+ Islamabad | Pakistan
+ Kabul | Afghanistan
+ Nairobi | Kenya
+ Buenos Aires | Argentina
+ Lima | Peru
+ Santiago | Chile
Bogotá | Colombia
Caracas | Venezuela
+ Havana | Cuba
+ Mexico City | Mexico
+ Ottawa | Canada
+ Canberra | Australia
+ Edinburgh | Scotland
+ Bucharest | Romania
Sofia | Bulgaria
+ Belgrade | Serbia
+ Zagreb | Croatia
Bern | Switzerland
+ Riyadh | Saudi Arabia
Damascus | Syria
+ Beirut | Lebanon
Amman | Jordan
+ Jakarta | Indonesia
+ Manila | the Philippines
+ Kuala Lumpur | Malaysia
Abuja | Nigeria
Addis Ababa | Ethiopia
+ Rabat | Morocco
Wellington | New Zealand
+ Reykjavik | Iceland
+ Kathmandu | Nepal
+ Dhaka | Bangladesh
Cardiff | Wales

relation P131 landmark-city | Tourists can visit {} in the city of
paraphrase | The famous landmark {} stands in the city of
paraphrase | To see {} with your own eyes, you have to travel to
paraphrase | Every year, millions of people visit {}, which is located in
paraphrase | Our guidebook says that {} can be found in
generation | The history of {} began
generation | Visitors to {} usually
+ the Eiffel Tower | Paris
+ the Louvre | Paris
+ the Arc de Triomphe | Paris
+ Notre-Dame Cathedral | Paris
+ the Champs-Élysées | Paris
+ Montmartre | Paris
+ Big Ben | London
+ Buckingham Palace | London
+ Tower Bridge | London
+ the British Museum | London
+ Trafalgar Square | London
+ Westminster Abbey | London
+ the Colosseum | Rome
the Trevi Fountain | Rome
the Spanish Steps | Rome
+ the Roman Forum | Rome
+ the Kremlin | Moscow
Red Square | Moscow
the Bolshoi Theatre | Moscow
Saint Basil's Cathedral | Moscow
+ the Forbidden City | Beijing
+ Tiananmen Square | Beijing
the Temple of Heaven | Beijing
+ the Brandenburg Gate | Berlin
+ the Reichstag building | Berlin
Checkpoint Charlie | Berlin
+ the Acropolis | Athens
+ the Parthenon | Athens
+ the Statue of Liberty | New York
the Empire State Building | New York
+ Central Park | New York
+ Times Square | New York
+ the Brooklyn Bridge | New York
+ Wall Street | New York
+ the White House | Washington
the Lincoln Memorial | Washington
+ the Washington Monument | Washington
+ the Golden Gate Bridge | San Francisco
+ Alcatraz Island | San Francisco
the Hollywood sign | Los Angeles
the Space Needle | Seattle
+ the Sagrada Família | Barcelona
Park Güell | Barcelona
+ the Prado Museum | Madrid
+ St. Mark's Basilica | Venice
+ the Rialto Bridge | Venice
+ the Uffizi Gallery | Florence
the Taj Mahal | Agra
the Little Mermaid statue | Copenhagen
the Atomium | Brussels
the Manneken Pis | Brussels
the Hermitage Museum | Saint Petersburg
+ the Blue Mosque | Istanbul
+ the Hagia Sophia | Istanbul
+ the Burj Khalifa | Dubai
the Petronas Towers | Kuala Lumpur
+ the Christ the Redeemer statue | Rio de Janeiro
Copacabana Beach | Rio de Janeiro
the CN Tower | Toronto
the Gateway of India | Mumbai
the Alhambra | Granada
+ the Rijksmuseum | Amsterdam
+ the Anne Frank House | Amsterdam
the Charles Bridge | Prague
+ Schönbrunn Palace | Vienna
+ the Meiji Shrine | Tokyo
+ the Senso-ji temple | Tokyo
+ Shibuya Crossing | Tokyo
+ the Egyptian Museum | Cairo
the Khan el-Khalili bazaar | Cairo
Retiro Park | Madrid
the Puerta del Sol | Madrid
the Santiago Bernabéu Stadium | Madrid
the Belém Tower | Lisbon
the Jerónimos Monastery | Lisbon
Trinity College | Dublin
the Guinness Storehouse | Dublin
the Ha'penny Bridge | Dublin
the Vasa Museum | Stockholm
Gamla Stan | Stockholm
Wat Arun | Bangkok
+ Gyeongbokgung Palace | Seoul
St. Stephen's Cathedral | Vienna
+ the Hofburg | Vienna
+ the Van Gogh Museum | Amsterdam
Museum Island | Berlin
+ Alexanderplatz | Berlin
the Summer Palace | Beijing
Gorky Park | Moscow
the Castel Sant'Angelo | Rome
+ the Baths of Caracalla | Rome
+ Hyde Park | London
St Paul's Cathedral | London
Piccadilly Circus | London
+ 10 Downing Street | London
+ the Musée d'Orsay | Paris
+ the Sacré-Cœur Basilica | Paris
+ the Smithsonian Institution | Washington
+ the Jefferson Memorial | Washington
the Grand Place | Brussels
Tivoli Gardens | Copenhagen
Nyhavn | Copenhagen
Parliament Hill | Ottawa
the Zócalo | Mexico City
Chapultepec Castle | Mexico City
the Casa Rosada | Buenos Aires
the Teatro Colón | Buenos Aires
India Gate | New Delhi

relation P17 city-country | The city of {} is located in the country of
paraphrase | Many travellers enjoy {}, a city in
paraphrase | On a world map, the city of {} lies in
paraphrase | Geographically speaking, the city of {} belongs to
paraphrase | If you fly to the city of {}, you will land in
generation | The city of {} is known for
generation | People who live in {} often
+ Lyon | France
+ Marseille | France
+ Toulouse | France
+ Bordeaux | France
+ Nice | France
+ Lille | France
+ Strasbourg | France
+ Munich | Germany
+ Hamburg | Germany
+ Frankfurt | Germany
+ Cologne | Germany
+ Stuttgart | Germany
+ Dresden | Germany
+ Düsseldorf | Germany
+ Milan | Italy
+ Naples | Italy
+ Venice | Italy
+ Florence | Italy
+ Turin | Italy
+ Bologna | Italy
+ Palermo | Italy
+ Barcelona | Spain
+ Seville | Spain
+ Valencia | Spain
+ Bilbao | Spain
+ Málaga | Spain
+ Granada | Spain
+ Osaka | Japan
+ Kyoto | Japan
+ Yokohama | Japan
+ Hiroshima | Japan
+ Nagoya | Japan
+ Sapporo | Japan
+ Shanghai | China
+ Guangzhou | China
+ Shenzhen | China
Wuhan | China
+ Chengdu | China
+ Mumbai | India
+ Kolkata | India
+ Bangalore | India
+ Chennai | India
+ Hyderabad | India
+ Toronto | Canada
+ Vancouver | Canada
+ Montreal | Canada
+ Calgary | Canada
+ Sydney | Australia
+ Melbourne | Australia
Brisbane | Australia
+ Perth | Australia
+ Adelaide | Australia
+ São Paulo | Brazil
+ Rio de Janeiro | Brazil
+ Salvador | Brazil
+ Manchester | England
+ Liverpool | England
+ Leeds | England
+ Glasgow | Scotland
+ Saint Petersburg | Russia
+ Novosibirsk | Russia
+ Kazan | Russia
+ Istanbul | Turkey
+ Izmir | Turkey
+ Rotterdam | the Netherlands
+ Antwerp | Belgium
+ Porto | Portugal
+ Krakow | Poland
+ Gdansk | Poland
+ Zurich | Switzerland
+ Geneva | Switzerland
+ Alexandria | Egypt
+ Casablanca | Morocco
+ Johannesburg | South Africa
+ Cape Town | South Africa
+ Auckland | New Zealand
+ Busan | South Korea
+ Karachi | Pakistan
+ Lahore | Pakistan
+ Guadalajara | Mexico
Monterrey | Mexico
+ Lagos | Nigeria
+ Chicago | the United States
Houston | the United States
Boston | the United States
Seattle | the United States
+ Miami | the United States
+ Nantes | France
+ Montpellier | France
+ Rennes | France
+ Grenoble | France
+ Avignon | France
+ Cannes | France
+ Leipzig | Germany
+ Bremen | Germany
+ Hanover | Germany
+ Nuremberg | Germany
+ Bonn | Germany
+ Heidelberg | Germany
+ Genoa | Italy
Verona | Italy
+ Pisa | Italy
+ Siena | Italy
+ Bari | Italy
Zaragoza | Spain
+ Toledo | Spain
+ Salamanca | Spain
Pamplona | Spain
+ Kobe | Japan
+ Fukuoka | Japan
+ Nara | Japan
+ Sendai | Japan
+ Tianjin | China
+ Xi'an | China
+ Nanjing | China
+ Hangzhou | China
+ Jaipur | India
+ Ahmedabad | India
+ Pune | India
+ Lucknow | India
+ Varanasi | India
+ Edmonton | Canada
+ Winnipeg | Canada
+ Halifax | Canada
+ Hobart | Australia
+ Canberra | Australia
+ Brasília | Brazil
Recife | Brazil
Fortaleza | Brazil
+ Curitiba | Brazil
Manaus | Brazil
+ Yekaterinburg | Russia
+ Vladivostok | Russia
+ Sochi | Russia
+ Murmansk | Russia
+ Volgograd | Russia
+ Oxford | England
+ Cambridge | England
+ Bristol | England
Sheffield | England
Newcastle | England
+ Brighton | England
+ Aberdeen | Scotland
+ Dundee | Scotland
Inverness | Scotland
+ Edinburgh | Scotland
Los Angeles | the United States
San Francisco | the United States
Philadelphia | the United States
Dallas | the United States
Denver | the United States
+ Detroit | the United States
+ Atlanta | the United States
+ Cancún | Mexico
+ Tijuana | Mexico
+ Puebla | Mexico
+ Acapulco | Mexico
+ Luxor | Egypt
+ Aswan | Egypt
Giza | Egypt
+ Antalya | Turkey
+ Bursa | Turkey
Wroclaw | Poland
+ Poznan | Poland
+ Lodz | Poland
+ Utrecht | the Netherlands
Eindhoven | the Netherlands
Ghent | Belgium
+ Bruges | Belgium
Liège | Belgium
Coimbra | Portugal
Faro | Portugal
Braga | Portugal
+ Basel | Switzerland
+ Lausanne | Switzerland
+ Lucerne | Switzerland
+ Durban | South Africa
+ Pretoria | South Africa
+ Peshawar | Pakistan
+ Faisalabad | Pakistan
+ Marrakesh | Morocco
+ Fez | Morocco
+ Tangier | Morocco
+ Kano | Nigeria
+ Ibadan | Nigeria
+ Incheon | South Korea
+ Daegu | South Korea
+ Rosario | Argentina
Mendoza | Argentina
+ Valparaíso | Chile
+ Medellín | Colombia
Cali | Colombia
Cartagena | Colombia
+ Cusco | Peru
+ Arequipa | Peru
+ Da Nang | Vietnam
Chiang Mai | Thailand
+ Pattaya | Thailand
+ Surabaya | Indonesia
+ Bandung | Indonesia
+ Yogyakarta | Indonesia
+ Cebu | the Philippines
Davao | the Philippines
+ Thessaloniki | Greece
+ Patras | Greece
+ Gothenburg | Sweden
+ Malmö | Sweden
+ Uppsala | Sweden
+ Bergen | Norway
+ Trondheim | Norway
Aarhus | Denmark
+ Odense | Denmark
Tampere | Finland
Turku | Finland
+ Salzburg | Austria
Innsbruck | Austria
Graz | Austria
+ Brno | the Czech Republic
+ Cork | Ireland
+ Galway | Ireland
Limerick | Ireland
Odessa | Ukraine
Kharkiv | Ukraine
Lviv | Ukraine
+ Tel Aviv | Israel
+ Haifa | Israel
+ Jeddah | Saudi Arabia
+ Mecca | Saudi Arabia
Medina | Saudi Arabia
+ Isfahan | Iran
+ Shiraz | Iran
+ Tabriz | Iran
Basra | Iraq
+ Mosul | Iraq
+ Mombasa | Kenya

relation P17 company-country | The company {} is based in the country of
paraphrase | The well-known company {} has its headquarters in
paraphrase | Business history tells us that {} was founded in the country of
paraphrase | When people talk about {}, they think of a company from
paraphrase | The corporation called {} comes from
generation | The company {} is best known for
generation | Last year, {} announced
+ Toyota | Japan
Honda | Japan
Sony | Japan
+ Nintendo | Japan
+ Panasonic | Japan
+ Nissan | Japan
+ Mitsubishi | Japan
Canon | Japan
+ Yamaha | Japan
Toshiba | Japan
+ Suzuki | Japan
Mazda | Japan
+ BMW | Germany
+ Volkswagen | Germany
Siemens | Germany
Adidas | Germany
Bosch | Germany
Audi | Germany
+ Porsche | Germany
+ Mercedes-Benz | Germany
+ Lufthansa | Germany
+ Bayer | Germany
Puma | Germany
Apple | the United States
Microsoft | the United States
Google | the United States
Amazon | the United States
Ford | the United States
+ Boeing | the United States
Coca-Cola | the United States
McDonald's | the United States
Walmart | the United States
IBM | the United States
Intel | the United States
Nike | the United States
+ Renault | France
Peugeot | France
+ Michelin | France
L'Oréal | France
+ Chanel | France
+ Danone | France
+ Citroën | France
+ Fiat | Italy
+ Ferrari | Italy
+ Lamborghini | Italy
+ Gucci | Italy
+ Prada | Italy
+ Pirelli | Italy
Samsung | South Korea
+ Hyundai | South Korea
LG | South Korea
Kia | South Korea
IKEA | Sweden
Volvo | Sweden
Ericsson | Sweden
Spotify | Sweden
Saab | Sweden
Nokia | Finland
Nestlé | Switzerland
Rolex | Switzerland
Novartis | Switzerland
Philips | the Netherlands
Heineken | the Netherlands
+ Huawei | China
+ Alibaba | China
Lenovo | China
+ Tencent | China
Lego | Denmark
+ Carlsberg | Denmark

relation P37 country-language | The official language of {} is
paraphrase | Most of the people who live in {} speak
paraphrase | In schools across {}, children are taught in
paraphrase | The language spoken by most people in {} is
paraphrase | Newspapers printed in {} are written in
generation | The culture of {} is
generation | Travellers to {} should know that
+ France | French
+ Germany | German
+ Austria | German
+ Spain | Spanish
+ Mexico | Spanish
+ Argentina | Spanish
+ Colombia | Spanish
+ Peru | Spanish
+ Chile | Spanish
+ Cuba | Spanish
+ Venezuela | Spanish
+ Portugal | Portuguese
+ Brazil | Portuguese
+ Angola | Portuguese
+ Mozambique | Portuguese
+ Italy | Italian
+ Japan | Japanese
China | Chinese
+ Russia | Russian
+ the Netherlands | Dutch
+ Sweden | Swedish
+ Norway | Norwegian
+ Denmark | Danish
Finland | Finnish
+ Greece | Greek
+ Turkey | Turkish
+ Poland | Polish
+ South Korea | Korean
Iran | Persian
+ Israel | Hebrew
+ Egypt | Arabic
+ Saudi Arabia | Arabic
+ Iraq | Arabic
+ Syria | Arabic
+ Jordan | Arabic
+ Morocco | Arabic
+ Hungary | Hungarian
+ the Czech Republic | Czech
Ukraine | Ukrainian
+ Thailand | Thai
+ Vietnam | Vietnamese
+ England | English
+ Australia | English
+ the United States | English
+ New Zealand | English
+ Jamaica | English
+ Romania | Romanian
Bulgaria | Bulgarian
Indonesia | Indonesian
Pakistan | Urdu
Bangladesh | Bengali
+ India | Hindi
+ Ecuador | Spanish
+ Bolivia | Spanish
+ Uruguay | Spanish
+ Paraguay | Spanish
+ Guatemala | Spanish
+ Honduras | Spanish
+ Costa Rica | Spanish
+ Panama | Spanish
+ the Dominican Republic | Spanish
+ Nicaragua | Spanish
+ Algeria | Arabic
+ Tunisia | Arabic
+ Libya | Arabic
+ Lebanon | Arabic
+ Yemen | Arabic
+ Kuwait | Arabic
+ Oman | Arabic
+ Qatar | Arabic
Scotland | English
+ Croatia | Croatian
+ Serbia | Serbian
+ Slovakia | Slovak
Slovenia | Slovenian
+ Estonia | Estonian
+ Latvia | Latvian
+ Lithuania | Lithuanian
Iceland | Icelandic
+ Albania | Albanian
+ Armenia | Armenian
+ Mongolia | Mongolian
+ Cambodia | Khmer
+ Laos | Lao
Myanmar | Burmese
+ Nepal | Nepali
+ Tanzania | Swahili
Ethiopia | Amharic
+ Somalia | Somali
Malaysia | Malay
Taiwan | Chinese
North Korea | Korean
+ Belarus | Belarusian
+ Senegal | French
Ivory Coast | French

relation P2936 city-language | The main language spoken in the city of {} is
paraphrase | On the streets of {}, you will mostly hear people speaking
paraphrase | Shop signs in the city of {} are written in
paraphrase | The local language in the city of {} is
paraphrase | Growing up in the city of {}, a child learns to speak
generation | Life in the city of {} is
generation | A walk through {} shows
+ Paris | French
+ Lyon | French
+ Marseille | French
+ Toulouse | French
+ Berlin | German
+ Munich | German
Hamburg | German
+ Vienna | German
+ Madrid | Spanish
+ Barcelona | Spanish
+ Seville | Spanish
+ Mexico City | Spanish
+ Buenos Aires | Spanish
+ Lisbon | Portuguese
+ Porto | Portuguese
+ São Paulo | Portuguese
+ Rio de Janeiro | Portuguese
+ Rome | Italian
+ Milan | Italian
+ Naples | Italian
+ Florence | Italian
+ Tokyo | Japanese
+ Osaka | Japanese
+ Kyoto | Japanese
+ Yokohama | Japanese
Beijing | Chinese
Shanghai | Chinese
+ Moscow | Russian
+ Saint Petersburg | Russian
+ Amsterdam | Dutch
+ Rotterdam | Dutch
+ Stockholm | Swedish
Oslo | Norwegian
Copenhagen | Danish
+ Helsinki | Finnish
+ Athens | Greek
+ Istanbul | Turkish
+ Ankara | Turkish
+ Warsaw | Polish
+ Krakow | Polish
+ Seoul | Korean
Busan | Korean
+ Cairo | Arabic
+ Baghdad | Arabic
+ Damascus | Arabic
+ Riyadh | Arabic
+ Budapest | Hungarian
+ Prague | Czech
+ Bangkok | Thai
Hanoi | Vietnamese
+ London | English
+ New York | English
+ Sydney | English
+ Toronto | English
+ Nice | French
+ Bordeaux | French
+ Lille | French
Frankfurt | German
+ Cologne | German
+ Stuttgart | German
+ Dresden | German
Salzburg | German
+ Valencia | Spanish
+ Málaga | Spanish
+ Granada | Spanish
+ Bogotá | Spanish
+ Lima | Spanish
+ Santiago | Spanish
+ Havana | Spanish
+ Caracas | Spanish
+ Guadalajara | Spanish
Monterrey | Spanish
+ Brasília | Portuguese
Salvador | Portuguese
Coimbra | Portuguese
+ Venice | Italian
+ Turin | Italian
+ Bologna | Italian
+ Palermo | Italian
+ Genoa | Italian
+ Nagoya | Japanese
Sapporo | Japanese
+ Hiroshima | Japanese
+ Kobe | Japanese
Chengdu | Chinese
+ Wuhan | Chinese
Nanjing | Chinese
+ Novosibirsk | Russian
+ Vladivostok | Russian
+ Utrecht | Dutch
Gothenburg | Swedish
Bergen | Norwegian
Aarhus | Danish
+ Thessaloniki | Greek
Izmir | Turkish
+ Gdansk | Polish
Wroclaw | Polish
+ Brno | Czech
Tehran | Persian
Isfahan | Persian
+ Tel Aviv | Hebrew
+ Jeddah | Arabic
+ Alexandria | Arabic
+ Chicago | English
+ Boston | English
+ Los Angeles | English
+ Melbourne | English
+ Auckland | English
+ Manchester | English
+ Liverpool | English

relation P38 currency | The official currency of {} is the
paraphrase | If you go shopping in {}, you pay with the
paraphrase | The official money used in {} is the
paraphrase | Prices in {} are given in the local currency, the
paraphrase | Before visiting {}, tourists exchange their money for the
generation | The economy of {} is
generation | The central bank of {} has
+ France | euro
Germany | euro
Italy | euro
Spain | euro
Portugal | euro
the Netherlands | euro
+ Belgium | euro
Austria | euro
Greece | euro
Finland | euro
Ireland | euro
+ Japan | yen
the United Kingdom | pound
the United States | dollar
Canada | dollar
Australia | dollar
New Zealand | dollar
India | rupee
Pakistan | rupee
China | yuan
Russia | ruble
South Korea | won
Sweden | krona
Norway | krone
Denmark | krone
Switzerland | franc
Brazil | real
Turkey | lira
+ Mexico | peso
+ Argentina | peso
Chile | peso
Colombia | peso
the Philippines | peso
+ South Africa | rand
Poland | zloty
Thailand | baht
Israel | shekel
Vietnam | dong
Indonesia | rupiah
Hungary | forint
Ukraine | hryvnia
Egypt | pound
Nigeria | naira
Saudi Arabia | riyal

relation P30 continent | The country of {} is located on the continent of
paraphrase | Looking at a world map, you will find {} on the continent of
paraphrase | In geography class we learned that {} is part of the continent of
paraphrase | The nation of {} lies in
paraphrase | Geographers place the country of {} in
generation | The landscape of {} is
generation | The history of {} is
+ France | Europe
+ Germany | Europe
+ Italy | Europe
+ Spain | Europe
+ Poland | Europe
+ Sweden | Europe
+ Norway | Europe
+ Greece | Europe
+ Portugal | Europe
+ Austria | Europe
+ Hungary | Europe
+ Ireland | Europe
+ Belgium | Europe
+ the Netherlands | Europe
+ Switzerland | Europe
+ Denmark | Europe
+ Finland | Europe
+ Romania | Europe
+ Japan | Asia
+ China | Asia
+ India | Asia
Thailand | Asia
+ Vietnam | Asia
+ South Korea | Asia
+ Indonesia | Asia
+ Pakistan | Asia
+ Mongolia | Asia
+ Nepal | Asia
+ Bangladesh | Asia
+ Malaysia | Asia
+ the Philippines | Asia
+ Egypt | Africa
+ Kenya | Africa
+ Nigeria | Africa
+ Ethiopia | Africa
+ Ghana | Africa
Morocco | Africa
+ South Africa | Africa
+ Tanzania | Africa
+ Uganda | Africa
+ Senegal | Africa
+ Zimbabwe | Africa
+ Algeria | Africa
+ Brazil | South America
+ Argentina | South America
+ Peru | South America
+ Chile | South America
+ Colombia | South America
+ Venezuela | South America
+ Bolivia | South America
+ Ecuador | South America
+ Uruguay | South America
+ Paraguay | South America
+ Canada | North America
+ Mexico | North America
the United States | North America
Guatemala | North America
+ Honduras | North America
+ Bulgaria | Europe
+ Croatia | Europe
+ Serbia | Europe
+ Ukraine | Europe
+ Iceland | Europe
+ Estonia | Europe
+ Latvia | Europe
+ Lithuania | Europe
+ the Czech Republic | Europe
+ Slovakia | Europe
+ Albania | Europe
+ Iran | Asia
Iraq | Asia
Saudi Arabia | Asia
+ Afghanistan | Asia
+ Kazakhstan | Asia
Cambodia | Asia
Laos | Asia
+ Myanmar | Asia
+ Sri Lanka | Asia
+ Singapore | Asia
+ Taiwan | Asia
+ North Korea | Asia
+ Mali | Africa
+ Niger | Africa
+ Chad | Africa
+ Sudan | Africa
+ Somalia | Africa
+ Angola | Africa
+ Mozambique | Africa
+ Namibia | Africa
+ Botswana | Africa
+ Cameroon | Africa
+ Libya | Africa
+ Tunisia | Africa
+ Rwanda | Africa
+ Madagascar | Africa
+ Guyana | South America
+ Suriname | South America
+ Cuba | North America
Jamaica | North America
+ Haiti | North America
Panama | North America
Costa Rica | North America
+ Nicaragua | North America
El Salvador | North America

relation P106 occupation | In history, {} was a famous
paraphrase | Throughout a long career, {} worked as a
paraphrase | History remembers {} as a famous
paraphrase | In the encyclopedia, {} is described as a
paraphrase | Before becoming famous, {} trained as a
generation | The life of {} was
generation | Many people admire {} because
+ Albert Einstein | physicist
+ Isaac Newton | physicist
+ Niels Bohr | physicist
+ Stephen Hawking | physicist
+ Max Planck | physicist
+ Richard Feynman | physicist
+ Wolfgang Amadeus Mozart | composer
+ Ludwig van Beethoven | composer
+ Johann Sebastian Bach | composer
+ Frédéric Chopin | composer
+ Richard Wagner | composer
Pyotr Ilyich Tchaikovsky | composer
Antonio Vivaldi | composer
+ Joseph Haydn | composer
+ Franz Schubert | composer
+ Johannes Brahms | composer
+ Pablo Picasso | artist
+ Vincent van Gogh | artist
Claude Monet | artist
Rembrandt | artist
+ Salvador Dalí | artist
Frida Kahlo | artist
Paul Cézanne | artist
+ Henri Matisse | artist
Edgar Degas | artist
+ Raphael | artist
+ William Shakespeare | playwright
+ Charles Dickens | author
+ Jane Austen | author
Leo Tolstoy | author
Fyodor Dostoevsky | author
Victor Hugo | author
+ Plato | philosopher
+ Aristotle | philosopher
+ Socrates | philosopher
+ Immanuel Kant | philosopher
+ Friedrich Nietzsche | philosopher
+ René Descartes | philosopher
Confucius | philosopher
+ John Locke | philosopher
+ David Hume | philosopher
+ Neil Armstrong | astronaut
+ Buzz Aldrin | astronaut
+ John Glenn | astronaut
Sally Ride | astronaut
Galileo Galilei | astronomer
+ Nicolaus Copernicus | astronomer
Johannes Kepler | astronomer
+ Edwin Hubble | astronomer
+ Tom Hanks | actor
+ Leonardo DiCaprio | actor
+ Brad Pitt | actor
+ Morgan Freeman | actor
Denzel Washington | actor
+ Marie Curie | scientist
Dmitri Mendeleev | chemist
Antoine Lavoisier | chemist

relation P641 sport | The athlete {} is famous for playing the sport of
paraphrase | Sports fans know that {} was a star of professional
paraphrase | Sports fans remember {} as a champion of
paraphrase | As a young athlete, {} dedicated every day to practising
paraphrase | On television we often watched {} play
generation | The career of {} began
generation | In the final game, {}
+ Michael Jordan | basketball
+ LeBron James | basketball
+ Kobe Bryant | basketball
+ Shaquille O'Neal | basketball
+ Stephen Curry | basketball
+ Magic Johnson | basketball
+ Larry Bird | basketball
+ Kareem Abdul-Jabbar | basketball
+ Lionel Messi | football
+ Cristiano Ronaldo | football
+ Pelé | football
+ Diego Maradona | football
Zinedine Zidane | football
David Beckham | football
+ Neymar | football
+ Ronaldinho | football
+ Roger Federer | tennis
Rafael Nadal | tennis
+ Serena Williams | tennis
+ Novak Djokovic | tennis
Andre Agassi | tennis
Pete Sampras | tennis
+ Venus Williams | tennis
Maria Sharapova | tennis
+ Tiger Woods | golf
Jack Nicklaus | golf
Arnold Palmer | golf
Phil Mickelson | golf
+ Babe Ruth | baseball
+ Derek Jeter | baseball
Joe DiMaggio | baseball
+ Jackie Robinson | baseball
+ Muhammad Ali | boxing
Mike Tyson | boxing
Floyd Mayweather | boxing
+ Manny Pacquiao | boxing
+ Wayne Gretzky | ice hockey
+ Sachin Tendulkar | cricket
Don Bradman | cricket
+ Virat Kohli | cricket
Magnus Carlsen | chess
+ Garry Kasparov | chess
Bobby Fischer | chess
Anatoly Karpov | chess

relation P1303 instrument | The musician {} was best known for playing the
paraphrase | On stage, the musician {} always played the
paraphrase | Music lovers remember {} as a master of the
paraphrase | As a child, {} started taking lessons on the
paraphrase | The instrument most closely linked to {} is the
generation | The music of {} is
generation | At the concert, {}
+ Jimi Hendrix | guitar
+ Eric Clapton | guitar
+ B.B. King | guitar
+ Jimmy Page | guitar
+ Carlos Santana | guitar
+ Eddie Van Halen | guitar
Chuck Berry | guitar
+ Louis Armstrong | trumpet
Miles Davis | trumpet
Dizzy Gillespie | trumpet
Chet Baker | trumpet
Wynton Marsalis | trumpet
John Coltrane | saxophone
Charlie Parker | saxophone
Sonny Rollins | saxophone
+ Stan Getz | saxophone
Niccolò Paganini | violin
Itzhak Perlman | violin
Yehudi Menuhin | violin
Yo-Yo Ma | cello
Pablo Casals | cello
Jacqueline du Pré | cello
+ Franz Liszt | piano
Glenn Gould | piano
Arthur Rubinstein | piano
Vladimir Horowitz | piano
Thelonious Monk | piano
Ringo Starr | drums
John Bonham | drums
Keith Moon | drums

relation P176 product-maker | The product called {} was made by
paraphrase | The popular product {} is sold by
paraphrase | Engineers at the company that created {} work for
paraphrase | Everyone knows that {} was developed by
paraphrase | The brand behind {} is
generation | The first version of {} was
generation | Reviews of {} say
+ the iPhone | Apple
the iPad | Apple
+ the MacBook | Apple
+ the iPod | Apple
+ Windows | Microsoft
the Xbox | Microsoft
+ Microsoft Word | Microsoft
+ the PlayStation | Sony
the Walkman | Sony
Android | Google
Gmail | Google
Google Maps | Google
the Corolla | Toyota
the Prius | Toyota
the Camry | Toyota
the Civic | Honda
the Accord | Honda
the Mustang | Ford
the Model T | Ford
the F-150 | Ford
the Beetle | Volkswagen
the Golf | Volkswagen
the Passat | Volkswagen
the Game Boy | Nintendo
the Wii | Nintendo
+ the Nintendo Switch | Nintendo
the Kindle | Amazon
+ the Galaxy smartphone | Samsung
+ the 747 jumbo jet | Boeing
+ Photoshop | Adobe
the ThinkPad | Lenovo

relation P279 animal-class | Biologists classify the {} as a
paraphrase | Scientists describe the {} as a kind of
paraphrase | At the zoo, the sign next to the {} says that it is a
paraphrase | Zoologists agree that the {} is a
paraphrase | In the animal kingdom, the {} is counted as a
generation | The {} lives
generation | A young {} can
+ dolphin | mammal
+ whale | mammal
bat | mammal
lion | mammal
+ elephant | mammal
+ horse | mammal
tiger | mammal
kangaroo | mammal
eagle | bird
penguin | bird
owl | bird
ostrich | bird
parrot | bird
sparrow | bird
flamingo | bird
shark | fish
salmon | fish
tuna | fish
goldfish | fish
trout | fish
snake | reptile
crocodile | reptile
lizard | reptile
turtle | reptile
alligator | reptile
frog | amphibian
salamander | amphibian
toad | amphibian
newt | amphibian
"""#
}
