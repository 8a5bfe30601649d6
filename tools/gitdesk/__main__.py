from gitdesk.main import main

main()
