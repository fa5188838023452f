from storyatlas.cli import main

main()
