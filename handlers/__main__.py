from handlers.app import main

main()
